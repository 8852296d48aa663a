package io.axondlq.jdbc.audit;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresJdbcAuditLogTest extends JdbcAuditLogTest {
}
