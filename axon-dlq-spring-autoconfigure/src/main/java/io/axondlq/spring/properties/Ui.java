package io.axondlq.spring.properties;

/**
 * The operator dashboard, served at {@code {rest.base-path}/ui/} (default {@code /dead-letters/ui/}) when the REST
 * API is on. It only calls the REST API, so it needs the same authorities (the read authority to open it).
 */
public class Ui {

    /** Whether the dashboard's static files are served (the REST API stays as it is either way). */
    private boolean enabled = true;

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
}
