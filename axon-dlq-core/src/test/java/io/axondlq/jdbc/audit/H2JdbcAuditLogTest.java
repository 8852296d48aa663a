package io.axondlq.jdbc.audit;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2JdbcAuditLogTest extends JdbcAuditLogTest {
}
