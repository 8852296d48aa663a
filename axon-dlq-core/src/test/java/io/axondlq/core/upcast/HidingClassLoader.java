package io.axondlq.core.upcast;

/** The second release's class path: the first release's event class is gone. */
final class HidingClassLoader extends ClassLoader {

    private final String hidden;

    HidingClassLoader(ClassLoader parent, Class<?> hidden) {
        super(parent);
        this.hidden = hidden.getName();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.equals(hidden)) {
            throw new ClassNotFoundException(name);
        }
        return super.loadClass(name, resolve);
    }
}
