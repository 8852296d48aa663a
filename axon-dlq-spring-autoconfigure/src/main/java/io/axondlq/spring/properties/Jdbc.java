package io.axondlq.spring.properties;

/** Database settings. */
public class Jdbc {

    /** Prefix of every axon-dlq table. */
    private String tablePrefix = "axon_dlq_";

    /** When axon-dlq creates its tables itself. */
    private InitializeSchema initializeSchema = InitializeSchema.EMBEDDED;

    public String getTablePrefix() { return tablePrefix; }
    public void setTablePrefix(String tablePrefix) { this.tablePrefix = tablePrefix; }
    public InitializeSchema getInitializeSchema() { return initializeSchema; }
    public void setInitializeSchema(InitializeSchema initializeSchema) { this.initializeSchema = initializeSchema; }
}
