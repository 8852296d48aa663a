package io.axondlq.spring.reliability.app;

import org.axonframework.config.ConfigurerModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.PropertySource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import javax.sql.DataSource;

/**
 * One node of the reliability suite: an ordinary Axon Spring Boot application on PostgreSQL with Axon's JDBC event
 * store and token store (auto-configured on the shared database), the pooled streaming processor {@value
 * ReliabilityProjection#GROUP} with 4 segments, axon-dlq with its REST API. Settings in
 * {@code classpath:reliability/node.properties}; the database, port, node id and seed come from the command line (a
 * separate JVM per node, see {@code NodeProcess}) or from the test's properties (in-process tests).
 * <p>
 * Lives in its own package, and tests name it explicitly, so no other {@code @SpringBootTest} picks it up.
 */
// A JDBC application: JPA is on the test classpath only for io.axondlq.spring.jpa.testapp.
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class})
@PropertySource("classpath:reliability/node.properties")
public class ReliabilityNodeApplication {

    private static final Logger logger = LoggerFactory.getLogger(ReliabilityNodeApplication.class);

    public static void main(String[] args) {
        if (Boolean.getBoolean("reliability.watch-stdin")) {
            watchParent();
        }
        SpringApplication.run(ReliabilityNodeApplication.class, args);
    }

    /** The test process holds our stdin: when it goes away (even by kill -9), so do we. */
    private static void watchParent() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // ignore input
                }
            } catch (IOException ignored) {
                // parent gone
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    @Bean
    public FaultPlan faultPlan(@Value("${reliability.seed}") long seed,
                               @Value("${reliability.permanent-percent:3}") double permanentPercent,
                               @Value("${reliability.transient-percent:5}") double transientPercent) {
        logger.info("Fault plan: seed {}, {}% permanent, {}% transient", seed, permanentPercent, transientPercent);
        return new FaultPlan(seed, permanentPercent, transientPercent);
    }

    @Bean
    public ReliabilityProjection reliabilityProjection(JdbcTemplate jdbc, FaultPlan plan,
                                                       @Value("${reliability.node-id}") String node,
                                                       @Value("${reliability.mutation:}") String mutation,
                                                       PlatformTransactionManager transactions) {
        TransactionTemplate ownTransaction = null;
        if ("requires-new".equals(mutation)) {
            logger.warn("MUTATION: projection rows are written outside the processor's transaction");
            ownTransaction = new TransactionTemplate(transactions);
            ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        }
        return new ReliabilityProjection(jdbc, plan, node, ownTransaction);
    }

    /** Only for the operations crash test: holds the node inside an action to be killed there. */
    @Bean
    @ConditionalOnProperty(name = "reliability.freeze-at")
    public ActionFreezer actionFreezer(@Value("${reliability.freeze-at}") String spec,
                                       @Value("${reliability.freeze-marker}") String marker) {
        logger.warn("This node freezes at {} (marker {})", spec, marker);
        return new ActionFreezer(spec, Path.of(marker));
    }

    /** The auto-configured audit log, frozen after writing an entry of the frozen action. */
    @Bean
    @ConditionalOnProperty(name = "reliability.freeze-at")
    public AuditLog freezingAuditLog(DataSource dataSource, ActionFreezer freezer) {
        return new FreezingAuditLog(new JdbcAuditLog(dataSource, "axon_dlq_", Clock.systemUTC()), freezer);
    }

    @Bean
    @ConditionalOnProperty(name = "reliability.freeze-at")
    public FilterRegistrationBean<FreezingExportFilter> freezingExportFilter(ActionFreezer freezer) {
        return new FilterRegistrationBean<>(new FreezingExportFilter(freezer));
    }

    @Bean
    @ConditionalOnProperty(name = "reliability.limited-group", havingValue = "true")
    public LimitedProjection limitedProjection(JdbcTemplate jdbc) {
        return new LimitedProjection(jdbc);
    }

    /**
     * Splits the segments between two nodes (each claims at most {@code max-claimed-segments}, or with
     * {@code reliability.claim-share} that share of the processor's current segment count, for a test that splits and
     * merges them), and extends claims often enough for a short token claim timeout, so that a killed node's segments
     * are taken over quickly.
     */
    @Bean
    public ConfigurerModule pooledProcessorTuning(
            @Value("${reliability.max-claimed-segments:3}") int maxClaimedSegments,
            @Value("${reliability.claim-share:0}") double claimShare, JdbcTemplate jdbc) {
        return configurer -> configurer.eventProcessing().registerPooledStreamingEventProcessorConfiguration(
                ReliabilityProjection.GROUP,
                (config, builder) -> builder.maxSegmentProvider(
                        claimShare > 0 ? new ClaimShare(jdbc, claimShare, maxClaimedSegments)
                                : processor -> maxClaimedSegments).claimExtensionThreshold(1000));
    }
}
