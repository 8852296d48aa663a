package io.axondlq.core.tx;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * PostgreSQL's "current transaction is aborted" state, read from the driver without a round trip. A handler that
 * catches a database error and returns normally leaves the transaction in that state: every later statement of the
 * batch (the next event's, the token update) fails, and a replayed batch fails the same way, forever. Found after
 * the handler returned, it becomes that event's own failure. Uses pgjdbc's {@code BaseConnection} by reflection,
 * since the driver is the application's choice; other drivers report nothing.
 */
final class AbortedTransactions {

    private static final Class<?> PG_CONNECTION;
    private static final MethodHandle TRANSACTION_STATE;

    static {
        Class<?> type = null;
        MethodHandle state = null;
        try {
            type = Class.forName("org.postgresql.core.BaseConnection", false,
                                 AbortedTransactions.class.getClassLoader());
            Class<?> stateType = Class.forName("org.postgresql.core.TransactionState", false, type.getClassLoader());
            state = MethodHandles.publicLookup().findVirtual(type, "getTransactionState", MethodType.methodType(stateType));
        } catch (ReflectiveOperationException | LinkageError e) {
            type = null;
        }
        PG_CONNECTION = type;
        TRANSACTION_STATE = state;
    }

    private AbortedTransactions() {
    }

    static boolean isAborted(Connection connection) {
        if (PG_CONNECTION == null) {
            return false;
        }
        try {
            if (!connection.isWrapperFor(PG_CONNECTION)) {
                return false;
            }
            Object state = TRANSACTION_STATE.invoke(connection.unwrap(PG_CONNECTION));
            return state instanceof Enum<?> e && e.name().equals("FAILED");
        } catch (SQLException e) {
            return false;
        } catch (Throwable e) {
            // Not a state we can read: never turn a driver surprise into a handler failure.
            return false;
        }
    }

    /** Throws when the transaction of {@code connection} is aborted. */
    static void failIfAborted(Connection connection) {
        if (isAborted(connection)) {
            throw new TransactionAbortedException();
        }
    }
}
