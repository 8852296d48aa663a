package io.axondlq.core.redelivery;

import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MessageHandlerInterceptor;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The processing groups running with axon-dlq, filled in as Axon builds their processors: what redelivery needs to
 * go through a group's own invoker, interceptors and transaction manager. It lives with redelivery, its reader, so
 * that the configuration that fills it depends on redelivery and not the other way round.
 */
public final class DeadLetterGroups {

    /**
     * @param interceptors the handler interceptors registered on the processor from outside (configured, axon-dlq's
     *                     own, later registrations), read at redelivery time so late registrations count; not those
     *                     the processor registers on itself for its batches (the tracking processor's token storage)
     * @param processorRunning whether the group's processor runs on this node right now ({@code isRunning()})
     */
    public record Binding(String processingGroup,
                          String processorName,
                          DeadLetteringEventHandlerInvoker invoker,
                          Supplier<List<MessageHandlerInterceptor<? super EventMessage<?>>>> interceptors,
                          TransactionManager transactionManager,
                          BooleanSupplier processorRunning) {

        /** A binding whose processor counts as always running. */
        public Binding(String processingGroup, String processorName, DeadLetteringEventHandlerInvoker invoker,
                       Supplier<List<MessageHandlerInterceptor<? super EventMessage<?>>>> interceptors,
                       TransactionManager transactionManager) {
            this(processingGroup, processorName, invoker, interceptors, transactionManager, () -> true);
        }
    }

    private final Map<String, Binding> bindings = new ConcurrentHashMap<>();

    /** Called by the event processing module as it builds each processor of an axon-dlq group. */
    public void register(Binding binding) {
        bindings.put(binding.processingGroup(), binding);
    }

    public Optional<Binding> binding(String processingGroup) {
        return Optional.ofNullable(bindings.get(processingGroup));
    }

    /** Names of the groups bound so far, sorted. */
    public Set<String> processingGroups() {
        return new TreeSet<>(bindings.keySet());
    }
}
