package io.axondlq.core.tx;

/**
 * The handler returned normally, but the database transaction it ran in is aborted: it caught a database error
 * (PostgreSQL then refuses every statement until the transaction, or a savepoint, is rolled back). axon-dlq treats
 * this as the event's own failure, so that the retry policy and dead-lettering apply to it instead of the next
 * statement of the batch failing, forever.
 */
public class TransactionAbortedException extends IllegalStateException {

    public TransactionAbortedException() {
        super("The handler returned normally but left the database transaction aborted: it caught a database error "
                      + "instead of letting it propagate");
    }
}
