package io.axondlq.sample.account;

/** A withdrawal larger than the balance; the HTTP API answers 409. */
public class InsufficientFundsException extends RuntimeException {

    public InsufficientFundsException(String accountId, long balance, long amount) {
        super("Account [" + accountId + "] holds " + balance + ", cannot withdraw " + amount);
    }
}
