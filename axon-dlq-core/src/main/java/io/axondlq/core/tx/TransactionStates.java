package io.axondlq.core.tx;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The state of a PostgreSQL transaction, read from the driver without a round trip.
 * <ul>
 * <li><b>Aborted.</b> A handler that catches a database error and returns normally leaves the transaction in
 * PostgreSQL's "current transaction is aborted" state: every later statement of the batch (the next event's, the
 * token update) fails, and a replayed batch fails the same way, forever. Found after the handler returned, it becomes
 * that event's own failure.</li>
 * <li><b>Idle.</b> No statement has run since the transaction began (pgjdbc sends {@code BEGIN} with the first
 * one): rolling the whole transaction back then undoes exactly what a savepoint taken now would, without the
 * savepoint's round trip.</li>
 * </ul>
 * Uses pgjdbc's {@code BaseConnection} by reflection, since the driver is the application's choice; other drivers
 * report neither state.
 */
final class TransactionStates {

    private static final Class<?> PG_CONNECTION;
    private static final MethodHandle TRANSACTION_STATE;

    static {
        Class<?> type = null;
        MethodHandle state = null;
        try {
            type = Class.forName("org.postgresql.core.BaseConnection", false,
                                 TransactionStates.class.getClassLoader());
            Class<?> stateType = Class.forName("org.postgresql.core.TransactionState", false, type.getClassLoader());
            state = MethodHandles.publicLookup().findVirtual(type, "getTransactionState", MethodType.methodType(stateType));
        } catch (ReflectiveOperationException | LinkageError e) {
            type = null;
        }
        PG_CONNECTION = type;
        TRANSACTION_STATE = state;
    }

    private TransactionStates() {
    }

    static boolean isAborted(Connection connection) {
        return "FAILED".equals(state(connection));
    }

    /** Whether no statement has run in the connection's transaction yet; false when the driver cannot tell. */
    static boolean isIdle(Connection connection) {
        return "IDLE".equals(state(connection));
    }

    /** pgjdbc's transaction state's name, or null for another driver or a state we cannot read. */
    private static String state(Connection connection) {
        if (PG_CONNECTION == null) {
            return null;
        }
        try {
            if (!connection.isWrapperFor(PG_CONNECTION)) {
                return null;
            }
            Object state = TRANSACTION_STATE.invoke(connection.unwrap(PG_CONNECTION));
            return state instanceof Enum<?> e ? e.name() : null;
        } catch (SQLException e) {
            return null;
        } catch (Throwable e) {
            // Not a state we can read: never turn a driver surprise into a handler failure.
            return null;
        }
    }

    /** Throws when the transaction of {@code connection} is aborted. */
    static void failIfAborted(Connection connection) {
        if (isAborted(connection)) {
            throw new TransactionAbortedException();
        }
    }
}
