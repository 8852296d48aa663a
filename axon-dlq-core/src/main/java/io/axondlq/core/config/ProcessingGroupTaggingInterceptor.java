package io.axondlq.core.config;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;

/**
 * Registered on every processor that runs a dead-lettered group: puts the processor name and the event's
 * correlation and trace ids into the unit of work, so handlers, the invoker and letters all know where an event is
 * being handled. The invoker adds the processing group itself, since one processor may run several groups.
 */
public final class ProcessingGroupTaggingInterceptor implements MessageHandlerInterceptor<EventMessage<?>> {

    public static final String PROCESSOR_RESOURCE = "axon-dlq.processor";
    public static final String CORRELATION_ID_RESOURCE = "axon-dlq.correlationId";
    public static final String TRACE_ID_RESOURCE = "axon-dlq.traceId";

    private final String processorName;

    public ProcessingGroupTaggingInterceptor(String processorName) {
        this.processorName = processorName;
    }

    @Override
    public Object handle(UnitOfWork<? extends EventMessage<?>> unitOfWork, InterceptorChain interceptorChain)
            throws Exception {
        unitOfWork.resources().put(PROCESSOR_RESOURCE, processorName);
        Object correlationId = unitOfWork.getMessage().getMetaData().get("correlationId");
        Object traceId = unitOfWork.getMessage().getMetaData().get("traceId");
        if (correlationId != null) {
            unitOfWork.resources().put(CORRELATION_ID_RESOURCE, correlationId.toString());
        }
        if (traceId != null) {
            unitOfWork.resources().put(TRACE_ID_RESOURCE, traceId.toString());
        }
        return interceptorChain.proceed();
    }
}
