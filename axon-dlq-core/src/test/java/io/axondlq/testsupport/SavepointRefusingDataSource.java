package io.axondlq.testsupport;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A data source whose connections refuse savepoints, as a driver without them or a connection enlisted in a JTA (XA)
 * transaction does. Everything else, {@code unwrap} included (so pgjdbc's transaction state stays readable), goes to
 * the real connection.
 */
public final class SavepointRefusingDataSource extends DelegatingDataSource {

    /** How the connections refuse. */
    public enum Refusal {
        /** {@code setSavepoint} throws {@link SQLFeatureNotSupportedException}: a driver without savepoints. */
        NOT_SUPPORTED,
        /**
         * pgjdbc's {@code PGXAConnection} (42.7.13) while its XA branch is active: {@code setSavepoint},
         * {@code commit}, {@code rollback} (both) and {@code setAutoCommit} throw SQLState 55000. Spring's
         * {@link DataSourceTransactionManager} stands in for the JTA transaction manager, which drives the branch
         * through the XA resource: its own calls pass.
         */
        XA_TRANSACTION,
        /**
         * pgjdbc's {@code PGXAConnection} up to 42.7.11, which checks for a method "setSavePoint": savepoints pass,
         * {@code commit}, {@code rollback} (both, so also to a savepoint) and {@code setAutoCommit(true)} throw.
         */
        XA_TRANSACTION_UP_TO_PGJDBC_42_7_11,
        /** {@code setSavepoint} fails as on a connection that was lost (SQLState 08006): not a refusal. */
        CONNECTION_LOST
    }

    /** pgjdbc's message, {@code PGXAConnection.ConnectionHandler} (42.7.13). */
    public static final String XA_MESSAGE = "Transaction control methods setAutoCommit, commit, rollback and "
            + "setSavepoint are not allowed while an XA transaction is active.";
    /** pgjdbc's message up to 42.7.11. */
    public static final String XA_MESSAGE_UP_TO_42_7_11 = "Transaction control methods setAutoCommit(true), commit, "
            + "rollback and setSavePoint not allowed while an XA transaction is active.";

    private static final Set<String> TRANSACTION_CONTROL = Set.of("commit", "rollback", "setSavepoint",
                                                                  "setAutoCommit");

    private final Refusal refusal;
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean refusing = true;

    public SavepointRefusingDataSource(DataSource target, Refusal refusal) {
        super(target);
        this.refusal = refusal;
    }

    /** Turns the refusal on (the default) or off, as for a transaction that is not an XA one. */
    public void refusing(boolean refusing) {
        this.refusing = refusing;
    }

    /** How many calls were refused so far. */
    public int refused() {
        return refused.get();
    }

    @Override
    public Connection getConnection() throws SQLException {
        return wrap(obtainTargetDataSource().getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return wrap(obtainTargetDataSource().getConnection(username, password));
    }

    private Connection wrap(Connection target) {
        return (Connection) Proxy.newProxyInstance(SavepointRefusingDataSource.class.getClassLoader(),
                                                   new Class<?>[]{Connection.class}, new Handler(target));
    }

    private final class Handler implements InvocationHandler {

        private final Connection target;

        Handler(Connection target) {
            this.target = target;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            switch (name) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "SavepointRefusing[" + target + "]";
                default:
                    break;
            }
            SQLException refusal = refusal(name, args);
            if (refusal != null) {
                refused.incrementAndGet();
                throw refusal;
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        private SQLException refusal(String method, Object[] args) {
            if (!refusing) {
                return null;
            }
            return switch (refusal) {
                case NOT_SUPPORTED -> method.equals("setSavepoint")
                        ? new SQLFeatureNotSupportedException("Savepoints are not supported") : null;
                case CONNECTION_LOST -> method.equals("setSavepoint")
                        ? new SQLException("An I/O error occurred while sending to the backend.", "08006") : null;
                case XA_TRANSACTION -> TRANSACTION_CONTROL.contains(method) && !calledByTransactionManager()
                        ? new SQLException(XA_MESSAGE, "55000") : null;
                case XA_TRANSACTION_UP_TO_PGJDBC_42_7_11 ->
                        (method.equals("commit") || method.equals("rollback")
                                || (method.equals("setAutoCommit") && (Boolean) args[0]))
                                && !calledByTransactionManager()
                        ? new SQLException(XA_MESSAGE_UP_TO_42_7_11, "55000") : null;
            };
        }
    }

    /** Whether the code calling the connection (past this proxy) is Spring's transaction manager. */
    private static boolean calledByTransactionManager() {
        return StackWalker.getInstance().walk(frames -> frames
                .map(StackWalker.StackFrame::getClassName)
                .filter(type -> !type.startsWith(SavepointRefusingDataSource.class.getName())
                        && !type.startsWith("jdk.proxy") && !type.startsWith("com.sun.proxy")
                        && !type.startsWith("java.lang.reflect.") && !type.startsWith("jdk.internal."))
                .findFirst()
                .map(type -> type.equals(DataSourceTransactionManager.class.getName()))
                .orElse(false));
    }
}
