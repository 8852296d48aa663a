package io.axondlq.core.config;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.Map;

/**
 * Registered on every processor that runs a dead-lettered group: puts the processor name and the event's
 * correlation and trace ids into the unit of work, so handlers, the invoker and letters all know where an event is
 * being handled. The invoker adds the processing group itself, since one processor may run several groups.
 */
public final class ProcessingGroupTaggingInterceptor implements MessageHandlerInterceptor<EventMessage<?>> {

    public static final String PROCESSOR_RESOURCE = "axon-dlq.processor";
    public static final String CORRELATION_ID_RESOURCE = "axon-dlq.correlationId";
    public static final String TRACE_ID_RESOURCE = "axon-dlq.traceId";
    /** Meta-data keys read, those of Axon's {@code MessageOriginProvider}. */
    public static final String CORRELATION_ID_KEY = "correlationId";
    public static final String TRACE_ID_KEY = "traceId";

    private final String processorName;

    public ProcessingGroupTaggingInterceptor(String processorName) {
        this.processorName = processorName;
    }

    @Override
    public Object handle(UnitOfWork<? extends EventMessage<?>> unitOfWork, InterceptorChain interceptorChain)
            throws Exception {
        // A streaming processor's batch is one unit of work with one resource map for all its events: every
        // resource is set or cleared per event, so an event never sees the ids of the event before it.
        Map<String, Object> resources = unitOfWork.resources();
        resources.put(PROCESSOR_RESOURCE, processorName);
        MetaData metaData = unitOfWork.getMessage().getMetaData();
        tag(resources, CORRELATION_ID_RESOURCE, metaData.get(CORRELATION_ID_KEY));
        tag(resources, TRACE_ID_RESOURCE, metaData.get(TRACE_ID_KEY));
        return interceptorChain.proceed();
    }

    private static void tag(Map<String, Object> resources, String resource, Object value) {
        if (value == null) {
            resources.remove(resource);
        } else {
            resources.put(resource, value.toString());
        }
    }
}
