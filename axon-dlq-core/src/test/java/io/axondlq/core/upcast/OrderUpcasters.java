package io.axondlq.core.upcast;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.SerializedType;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.upcasting.event.EventMultiUpcaster;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.axonframework.serialization.upcasting.event.SingleEventUpcaster;
import org.dom4j.Document;
import org.dom4j.Element;

import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The second release's upcasters from {@link OrderPlacedV1} revision 1 to {@link OrderPlacedV2} revision 2, written
 * against the intermediate representation each serializer offers: Jackson's {@link JsonNode}, XStream's DOM4J
 * {@link Document}.
 */
final class OrderUpcasters {

    static final SerializedType V1 = new SimpleSerializedType(OrderPlacedV1.class.getName(), "1");
    static final SerializedType V2 = new SimpleSerializedType(OrderPlacedV2.class.getName(), "2");

    /** How a representation is read and changed. */
    enum Representation {
        JSON(JsonNode.class) {
            @Override
            Object toV2(Object data, String currency, Integer amount) {
                ObjectNode node = ((JsonNode) data).deepCopy();
                node.put("currency", currency);
                if (amount != null) {
                    node.put("amount", amount);
                }
                return node;
            }

            @Override
            int amount(Object data) {
                return ((JsonNode) data).get("amount").asInt();
            }
        },
        DOM4J(Document.class) {
            @Override
            Object toV2(Object data, String currency, Integer amount) {
                Document document = (Document) ((Document) data).clone();
                Element root = document.getRootElement();
                root.setName(OrderPlacedV2.class.getName()); // XStream names the root after the class
                root.addElement("currency").setText(currency);
                if (amount != null) {
                    root.element("amount").setText(String.valueOf(amount));
                }
                return document;
            }

            @Override
            int amount(Object data) {
                return Integer.parseInt(((Document) data).getRootElement().elementText("amount"));
            }
        };

        final Class<?> type;

        Representation(Class<?> type) {
            this.type = type;
        }

        abstract Object toV2(Object data, String currency, Integer amount);

        abstract int amount(Object data);

        @SuppressWarnings({"unchecked", "rawtypes"})
        IntermediateEventRepresentation upcast(IntermediateEventRepresentation ir, Function<Object, Object> change) {
            return ir.upcast(V2, (Class) type, (Function) change, Function.identity());
        }
    }

    private OrderUpcasters() {
    }

    /** V1 to V2 with currency EUR: the plain rename-and-add-a-field upcaster. */
    static SingleEventUpcaster renaming(Representation representation) {
        return new SingleEventUpcaster() {
            @Override
            protected boolean canUpcast(IntermediateEventRepresentation ir) {
                return ir.getType().equals(V1);
            }

            @Override
            protected IntermediateEventRepresentation doUpcast(IntermediateEventRepresentation ir) {
                return representation.upcast(ir, data -> representation.toV2(data, "EUR", null));
            }
        };
    }

    /** Drops the V1 events of the given amount (cancelled orders, say), renames the others. */
    static EventMultiUpcaster dropping(Representation representation, int droppedAmount) {
        return new EventMultiUpcaster() {
            @Override
            protected boolean canUpcast(IntermediateEventRepresentation ir) {
                return ir.getType().equals(V1);
            }

            @Override
            protected Stream<IntermediateEventRepresentation> doUpcast(IntermediateEventRepresentation ir) {
                Object data = ir.getData(representation.type).getData();
                if (representation.amount(data) == droppedAmount) {
                    return Stream.empty();
                }
                return Stream.of(representation.upcast(ir, d -> representation.toV2(d, "EUR", null)));
            }
        };
    }

    /** Splits each V1 event into the order (EUR) and a fee of 1 (FEE), in that order. */
    static EventMultiUpcaster splitting(Representation representation) {
        return new EventMultiUpcaster() {
            @Override
            protected boolean canUpcast(IntermediateEventRepresentation ir) {
                return ir.getType().equals(V1);
            }

            @Override
            protected Stream<IntermediateEventRepresentation> doUpcast(IntermediateEventRepresentation ir) {
                return Stream.of(representation.upcast(ir, d -> representation.toV2(d, "EUR", null)),
                                 representation.upcast(ir, d -> representation.toV2(d, "FEE", 1)));
            }
        };
    }
}
