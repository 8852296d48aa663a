package io.axondlq.testsupport;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * DataSource wrapper that records every round trip to the database, to assert on query counts.
 * <p>
 * Each {@code execute}, {@code executeQuery}, {@code executeUpdate} (and {@code executeLarge*}) call is one
 * round trip; each {@code executeBatch} is one round trip too, and its number of batched entries is added to
 * {@link #batchedEntries()}. Statements are counted when issued, whether or not they succeed.
 */
public final class CountingDataSource implements DataSource {

    /** One round trip. {@code batchSize} is 0 for a non-batch execution. */
    public record Execution(String sql, boolean batch, int batchSize) {
    }

    private static final Set<String> EXECUTE_METHODS = Set.of(
            "execute", "executeQuery", "executeUpdate", "executeLargeUpdate");
    private static final Set<String> BATCH_METHODS = Set.of("executeBatch", "executeLargeBatch");
    private static final Set<String> STATEMENT_FACTORIES = Set.of("createStatement", "prepareStatement", "prepareCall");

    private final DataSource delegate;
    private final Object lock = new Object();
    private final List<Execution> executions = new ArrayList<>();
    /** Connection calls that are round trips but not statements: setSavepoint, releaseSavepoint, rollback(sp), commit. */
    private final java.util.Map<String, Integer> connectionCalls = new java.util.HashMap<>();

    public CountingDataSource(DataSource delegate) {
        this.delegate = delegate;
    }

    public DataSource delegate() {
        return delegate;
    }

    /** Forgets everything recorded so far. */
    public void reset() {
        synchronized (lock) {
            executions.clear();
            connectionCalls.clear();
        }
    }

    /** {@code Connection.setSavepoint} calls (each a SAVEPOINT round trip), not part of {@link #count()}. */
    public int savepoints() {
        return connectionCalls("setSavepoint");
    }

    /** {@code Connection.releaseSavepoint} calls. */
    public int savepointReleases() {
        return connectionCalls("releaseSavepoint");
    }

    /** {@code Connection.rollback(Savepoint)} calls. */
    public int rollbacksToSavepoint() {
        return connectionCalls("rollbackToSavepoint");
    }

    /** {@code Connection.commit} calls: committed transactions (batches, for a processor). */
    public int commits() {
        return connectionCalls("commit");
    }

    private int connectionCalls(String name) {
        synchronized (lock) {
            return connectionCalls.getOrDefault(name, 0);
        }
    }

    /** SQL of every round trip, in order (one entry per {@link #count()}). */
    public List<String> statements() {
        synchronized (lock) {
            return executions.stream().map(Execution::sql).toList();
        }
    }

    public List<Execution> executions() {
        synchronized (lock) {
            return List.copyOf(executions);
        }
    }

    /** Number of round trips (statement executions plus batch executions). */
    public int count() {
        synchronized (lock) {
            return executions.size();
        }
    }

    /** Round trips whose SQL contains a match for {@code regex} (case-insensitive, {@code find} semantics). */
    public int countMatching(String regex) {
        Pattern pattern = Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
        synchronized (lock) {
            return (int) executions.stream().filter(e -> pattern.matcher(e.sql()).find()).count();
        }
    }

    /** Number of {@code executeBatch} round trips. */
    public int batchCount() {
        synchronized (lock) {
            return (int) executions.stream().filter(Execution::batch).count();
        }
    }

    /** Total number of entries sent across all batches. */
    public int batchedEntries() {
        synchronized (lock) {
            return executions.stream().mapToInt(Execution::batchSize).sum();
        }
    }

    private void record(Execution execution) {
        synchronized (lock) {
            executions.add(execution);
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        return wrap(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return wrap(delegate.getConnection(username, password));
    }

    private Connection wrap(Connection connection) {
        return (Connection) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(),
                                                   new Class<?>[]{Connection.class},
                                                   new ConnectionHandler(connection));
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }

    @Override
    public String toString() {
        return "CountingDataSource[" + delegate + "]";
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Handles the Object and Wrapper methods every proxy needs; returns {@code this} (the handler) when the call
     * is not one of them.
     */
    private static Object commonMethods(Object proxy, Object target, Method method, Object[] args)
            throws SQLException {
        switch (method.getName()) {
            case "equals":
                // Identity, like Spring's own connection proxies; DataSourceUtils compares connections this way.
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return "Counting[" + target + "]";
            case "unwrap": {
                Class<?> iface = (Class<?>) args[0];
                return iface.isInstance(proxy) ? proxy : ((java.sql.Wrapper) target).unwrap(iface);
            }
            case "isWrapperFor": {
                Class<?> iface = (Class<?>) args[0];
                return iface.isInstance(proxy) || ((java.sql.Wrapper) target).isWrapperFor(iface);
            }
            default:
                return NOT_HANDLED;
        }
    }

    private static final Object NOT_HANDLED = new Object();

    private final class ConnectionHandler implements InvocationHandler {

        private final Connection target;

        ConnectionHandler(Connection target) {
            this.target = target;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            Object common = commonMethods(proxy, target, method, args);
            if (common != NOT_HANDLED) {
                return common;
            }
            String name = method.getName();
            if (name.equals("setSavepoint") || name.equals("releaseSavepoint") || name.equals("commit")
                    || (name.equals("rollback") && args != null && args.length == 1)) {
                String key = name.equals("rollback") ? "rollbackToSavepoint" : name;
                synchronized (lock) {
                    connectionCalls.merge(key, 1, Integer::sum);
                }
            }
            Object result = CountingDataSource.invoke(target, method, args);
            if (result instanceof Statement statement && STATEMENT_FACTORIES.contains(method.getName())) {
                String preparedSql = method.getName().equals("createStatement") ? null : (String) args[0];
                Class<?> iface = statement instanceof CallableStatement ? CallableStatement.class
                        : statement instanceof PreparedStatement ? PreparedStatement.class
                        : Statement.class;
                return Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[]{iface},
                                              new StatementHandler(statement, (Connection) proxy, preparedSql));
            }
            return result;
        }
    }

    private final class StatementHandler implements InvocationHandler {

        private final Statement target;
        private final Connection connectionProxy;
        private final String preparedSql;
        // Statements are confined to one thread by JDBC convention; the lock only guards the shared log.
        private final List<String> batchedSql = new ArrayList<>();
        private int batchSize;

        StatementHandler(Statement target, Connection connectionProxy, String preparedSql) {
            this.target = target;
            this.connectionProxy = connectionProxy;
            this.preparedSql = preparedSql;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            Object common = commonMethods(proxy, target, method, args);
            if (common != NOT_HANDLED) {
                return common;
            }
            String name = method.getName();
            if (EXECUTE_METHODS.contains(name)) {
                String sql = args != null && args.length > 0 && args[0] instanceof String s ? s : preparedSql;
                record(new Execution(String.valueOf(sql), false, 0));
            } else if (BATCH_METHODS.contains(name)) {
                String sql = preparedSql != null ? preparedSql : String.join(";\n", batchedSql);
                record(new Execution(sql, true, batchSize));
                batchSize = 0;
                batchedSql.clear();
            } else if (name.equals("addBatch")) {
                batchSize++;
                if (args != null && args.length == 1) {
                    batchedSql.add((String) args[0]);
                }
            } else if (name.equals("clearBatch")) {
                batchSize = 0;
                batchedSql.clear();
            } else if (name.equals("getConnection")) {
                return connectionProxy;
            }
            return CountingDataSource.invoke(target, method, args);
        }
    }
}
