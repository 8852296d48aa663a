package io.axondlq.spring.properties;

/** REST API. */
public class Rest {

    /**
     * Whether the REST API is exposed (it also needs a servlet web application with Spring MVC). Unset: on when
     * Spring Security is on the classpath, off otherwise. Set to true to expose it even without Spring Security
     * (unprotected; a warning is logged at start-up), to false to turn it off.
     */
    private Boolean enabled;

    /** Base path of every endpoint. */
    private String basePath = "/dead-letters";

    /** Largest page size a listing accepts; larger requests are refused with 400. */
    private int maxPageSize = 500;

    public Boolean getEnabled() { return enabled; }
    public void setEnabled(Boolean enabled) { this.enabled = enabled; }
    public String getBasePath() { return basePath; }
    public void setBasePath(String basePath) { this.basePath = basePath; }
    public int getMaxPageSize() { return maxPageSize; }
    public void setMaxPageSize(int maxPageSize) { this.maxPageSize = maxPageSize; }
}
