package io.axondlq.jdbc;

import org.axonframework.serialization.Serializer;

/** Axon 4's default general serializer (XStream), as the application configures it, for tests in other packages. */
public final class GeneralSerializerAccess {

    private GeneralSerializerAccess() {
    }

    public static Serializer xstream() {
        return GeneralSerializerChangeTest.xstreamGeneral();
    }
}
