package io.axondlq.core.jobs;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worker's schedule survives whatever a round or a lease renewal throws: a task that throws would be cancelled by
 * its executor without a word, and that kind of work would stop on the node for good.
 */
class JobWorkerTest {

    /** Each round and each renewal throws the next of these, fatal ones included. */
    private static final List<Throwable> THROWN = List.of(
            new ExceptionInInitializerError("static initializer failed"),
            new NoClassDefFoundError("Could not initialize class com.acme.Payload"),
            new StackOverflowError(),
            new OutOfMemoryError("Java heap space"),
            new IllegalStateException("database unavailable"));

    @Test
    void errorsInRoundsAndRenewalsAreLoggedAndTheScheduleGoesOn() throws InterruptedException {
        CountDownLatch roundsAfterErrors = new CountDownLatch(THROWN.size() + 1);
        CountDownLatch renewalsAfterErrors = new CountDownLatch(THROWN.size() + 1);
        AtomicInteger rounds = new AtomicInteger();
        AtomicInteger renewals = new AtomicInteger();
        List<String> otherKindRounds = new CopyOnWriteArrayList<>();
        BackgroundJob failing = new BackgroundJob() {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public Duration pollInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public Duration heartbeatInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public int runOnce() {
                roundsAfterErrors.countDown();
                throwNext(rounds.getAndIncrement());
                return 0;
            }

            @Override
            public void heartbeat() {
                renewalsAfterErrors.countDown();
                throwNext(renewals.getAndIncrement());
            }
        };
        BackgroundJob other = new BackgroundJob() {
            @Override
            public String name() {
                return "other";
            }

            @Override
            public Duration pollInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public int runOnce() {
                otherKindRounds.add("round");
                return 1;
            }
        };
        JobWorker worker = new JobWorker(List.of(failing, other), Duration.ofSeconds(5));
        worker.start();
        try {
            // Every kind of throwable once, then one more call each: the schedules outlived all of them.
            assertThat(roundsAfterErrors.await(30, TimeUnit.SECONDS)).as("rounds after errors").isTrue();
            assertThat(renewalsAfterErrors.await(30, TimeUnit.SECONDS)).as("renewals after errors").isTrue();
        } finally {
            worker.stop();
        }
        assertThat(rounds.get()).isGreaterThan(THROWN.size());
        assertThat(renewals.get()).isGreaterThan(THROWN.size());
        assertThat(otherKindRounds).isNotEmpty();
    }

    /**
     * A stop that times out while a round is still working: the heartbeat goes on renewing that work's leases and the
     * kind gives them back (stopped) only once the round has ended, not when the stop gave up waiting.
     */
    @Test
    void aStopThatTimesOutKeepsTheHeartbeatAndGivesLeasesBackOnceTheRoundEnds() throws InterruptedException {
        SlowJob slow = new SlowJob(Duration.ofMillis(5));
        JobWorker worker = new JobWorker(List.of(slow), Duration.ofMillis(50));
        worker.start();
        slow.awaitWorking();

        worker.stop();
        assertThat(worker.awaitTermination(Duration.ZERO)).as("the stop timed out mid-round").isFalse();
        assertThat(slow.events).as("no lease given back while the round works").isEmpty();
        int beatsAtStop = slow.beats.get();
        await("the heartbeat goes on while the round works").atMost(Duration.ofSeconds(10))
               .until(() -> slow.beats.get() >= beatsAtStop + 3);
        assertThat(slow.events).isEmpty();

        slow.finish.countDown();
        assertThat(worker.awaitTermination(Duration.ofSeconds(30))).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> slow.events.contains("stopped"));
        assertThat(slow.events).containsExactly("round ended", "stopped");
        Thread.sleep(50);
        int beatsAtEnd = slow.beats.get();
        Thread.sleep(100);
        assertThat(slow.beats.get()).as("no heartbeat once the leases are given back").isEqualTo(beatsAtEnd);
    }

    /**
     * The asynchronous stop (Spring's {@code SmartLifecycle.stop(Runnable)}): polling stops before it returns, the
     * round in progress goes on, and the callback runs only once the round has ended and the leases are given back.
     */
    @Test
    void anAsynchronousStopReturnsWhileTheRoundWorksAndCallsBackOnceItEnded() throws InterruptedException {
        SlowJob slow = new SlowJob(null);
        JobWorker worker = new JobWorker(List.of(slow), Duration.ofSeconds(30));
        worker.start();
        slow.awaitWorking();

        CountDownLatch calledBack = new CountDownLatch(1);
        worker.stop(() -> {
            slow.events.add("called back");
            calledBack.countDown();
        });
        assertThat(worker.isRunning()).isFalse();
        assertThat(slow.events).as("returned while the round works").isEmpty();

        slow.finish.countDown();
        assertThat(calledBack.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(slow.events).containsExactly("round ended", "stopped", "called back");
    }

    /**
     * A start while an asynchronous stop still waits for its round (the context's stop gave up at its phase timeout,
     * then the context was started again): once the old round ends, the stop calls back but gives no lease back, as
     * they are the new run's now.
     */
    @Test
    void aRestartDuringAnAsynchronousStopKeepsTheNewRunsLeases() throws InterruptedException {
        SlowJob slow = new SlowJob(null);
        JobWorker worker = new JobWorker(List.of(slow), Duration.ofSeconds(30));
        worker.start();
        slow.awaitWorking();
        CountDownLatch calledBack = new CountDownLatch(1);
        worker.stop(calledBack::countDown);
        worker.start();
        assertThat(worker.isRunning()).isTrue();
        assertThat(calledBack.getCount()).as("the old round still works").isEqualTo(1);

        slow.finish.countDown();
        assertThat(calledBack.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(slow.events).as("leases given back while the new run holds them").doesNotContain("stopped");
        worker.stop();
        assertThat(slow.events).filteredOn("stopped"::equals).hasSize(1);
        assertThat(slow.events.get(slow.events.size() - 1)).as("given back last").isEqualTo("stopped");
    }

    /**
     * Stop, restart and stop again while the first run's round still works: the second run never begins a round (its
     * rounds wait for the first run's), and the kinds' leases are given back once, when the first run's round has
     * ended and both stops are done, not by each stop.
     */
    @Test
    void aStopStartStopWhileTheFirstRunsRoundWorksGivesTheLeasesBackOnceThatRoundHasEnded()
            throws InterruptedException {
        SlowJob slow = new SlowJob(null);
        JobWorker worker = new JobWorker(List.of(slow), Duration.ofSeconds(30));
        try {
            worker.start();
            slow.awaitWorking();
            CountDownLatch firstStopCalledBack = new CountDownLatch(1);
            worker.stop(firstStopCalledBack::countDown);
            worker.start();
            CountDownLatch secondStopCalledBack = new CountDownLatch(1);
            worker.stop(secondStopCalledBack::countDown);
            assertThat(firstStopCalledBack.getCount()).as("the first run's round still works").isEqualTo(1);
            assertThat(secondStopCalledBack.getCount()).as("the second run waits for that round").isEqualTo(1);
            assertThat(slow.events).as("leases given back while the first run's round still works").isEmpty();

            slow.finish.countDown();
            assertThat(firstStopCalledBack.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(secondStopCalledBack.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(slow.events).as("one round, ended before the leases were given back once")
                            .containsExactly("round ended", "stopped");
            assertThat(slow.rounds.get()).as("rounds run: the second run never began one").isEqualTo(1);
        } finally {
            slow.finish.countDown();
        }
    }

    /**
     * A kind that, like the retry-job runner, goes through its units of work while it has not been told to stop
     * (starting sets the flag, stopping clears it). Restarted while the stopped run's round is still in a unit, the
     * stopped round must not go on with further units alongside the new run's rounds.
     */
    @Test
    void aRestartWhileTheStoppedRunsRoundIsInAUnitDoesNotLetThatRoundGoOn() throws InterruptedException {
        Semaphore units = new Semaphore(0);
        CountDownLatch inFirstUnit = new CountDownLatch(1);
        AtomicInteger inRounds = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        BackgroundJob flagged = new BackgroundJob() {
            private volatile boolean going;

            @Override
            public String name() {
                return "flagged";
            }

            @Override
            public Duration pollInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public void starting() {
                going = true;
            }

            @Override
            public void stopping() {
                going = false;
            }

            @Override
            public int runOnce() {
                mostAtOnce.accumulateAndGet(inRounds.incrementAndGet(), Math::max);
                try {
                    int done = 0;
                    while (going && done < 3) {
                        inFirstUnit.countDown();
                        units.tryAcquire(30, TimeUnit.SECONDS);
                        done++;
                    }
                    return done;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 0;
                } finally {
                    inRounds.decrementAndGet();
                }
            }
        };
        JobWorker worker = new JobWorker(List.of(flagged), Duration.ofSeconds(30));
        try {
            worker.start();
            assertThat(inFirstUnit.await(30, TimeUnit.SECONDS)).isTrue();
            CountDownLatch calledBack = new CountDownLatch(1);
            worker.stop(calledBack::countDown);
            worker.start();
            units.release(100);
            assertThat(calledBack.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(mostAtOnce.get()).as("rounds in progress at once").isEqualTo(1);
        } finally {
            units.release(1000);
            worker.stop();
        }
    }

    @Test
    void anAsynchronousStopOfAStoppedWorkerCallsBackAtOnce() {
        JobWorker worker = new JobWorker(List.of(), Duration.ofSeconds(30));
        List<String> events = new CopyOnWriteArrayList<>();
        worker.stop(() -> events.add("called back"));
        assertThat(events).containsExactly("called back");
    }

    /**
     * A kind whose every round waits until {@link #finish} is counted down; it records "round ended" after each round
     * and "stopped" when its leases are given back, and counts rounds begun and heartbeats.
     */
    private static final class SlowJob implements BackgroundJob {
        final CountDownLatch working = new CountDownLatch(1);
        final CountDownLatch finish = new CountDownLatch(1);
        final AtomicInteger rounds = new AtomicInteger();
        final AtomicInteger beats = new AtomicInteger();
        final List<String> events = new CopyOnWriteArrayList<>();
        private final Duration heartbeatInterval;

        /** @param heartbeatInterval the kind's heartbeat, or {@code null} for none (the default) */
        SlowJob(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
        }

        void awaitWorking() throws InterruptedException {
            assertThat(working.await(30, TimeUnit.SECONDS)).as("a round began").isTrue();
        }

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public Duration pollInterval() {
            return Duration.ofMillis(1);
        }

        @Override
        public Duration heartbeatInterval() {
            return heartbeatInterval;
        }

        @Override
        public void heartbeat() {
            beats.incrementAndGet();
        }

        @Override
        public int runOnce() {
            rounds.incrementAndGet();
            working.countDown();
            try {
                finish.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            events.add("round ended");
            return 1;
        }

        @Override
        public void stopped() {
            events.add("stopped");
        }
    }

    private static void throwNext(int call) {
        if (call >= THROWN.size()) {
            return;
        }
        Throwable next = THROWN.get(call);
        if (next instanceof Error error) {
            throw error;
        }
        throw (RuntimeException) next;
    }
}
