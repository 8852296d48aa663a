package io.axondlq.sample.api;

import io.axondlq.sample.account.DepositMoney;
import io.axondlq.sample.account.OpenAccount;
import io.axondlq.sample.account.WithdrawMoney;
import io.axondlq.sample.projection.AccountReadModel;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The bank's HTTP API. Commands go to the {@code Account} aggregate and return once its events are stored; the
 * projections catch up asynchronously (pooled streaming processors), so reads are eventually consistent.
 */
@RestController
@RequestMapping("/accounts")
public class AccountController {

    private final CommandGateway commands;
    private final AccountReadModel readModel;

    public AccountController(CommandGateway commands, AccountReadModel readModel) {
        this.commands = commands;
        this.readModel = readModel;
    }

    /** {@code {"accountId": "acc-1" (optional), "owner": "Alice"}} */
    public record OpenAccountRequest(String accountId, String owner) {
    }

    /** {@code {"amount": 100}} */
    public record AmountRequest(Long amount) {
    }

    @PostMapping
    public ResponseEntity<Map<String, Object>> open(@RequestBody OpenAccountRequest request) {
        String accountId = request.accountId() == null || request.accountId().isBlank()
                ? "acc-" + UUID.randomUUID() : request.accountId();
        if (accountId.length() > 100) {
            throw new IllegalArgumentException("accountId must be at most 100 characters");
        }
        commands.sendAndWait(new OpenAccount(accountId, request.owner()));
        return ResponseEntity.created(URI.create("/accounts/" + accountId))
                             .body(Map.of("accountId", accountId, "owner", request.owner()));
    }

    @PostMapping("/{accountId}/deposits")
    public Map<String, Object> deposit(@PathVariable String accountId, @RequestBody AmountRequest request) {
        commands.sendAndWait(new DepositMoney(accountId, amount(request)));
        return Map.of("accountId", accountId, "deposited", request.amount());
    }

    @PostMapping("/{accountId}/withdrawals")
    public Map<String, Object> withdraw(@PathVariable String accountId, @RequestBody AmountRequest request) {
        commands.sendAndWait(new WithdrawMoney(accountId, amount(request)));
        return Map.of("accountId", accountId, "withdrawn", request.amount());
    }

    /** The balances projection ({@code account-balances}). */
    @GetMapping
    public List<AccountReadModel.Balance> list(@RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000");
        }
        return readModel.balances(limit);
    }

    /** 404 (problem+json) also for an account just opened: the projection follows its events a moment later. */
    @GetMapping("/{accountId}")
    public ResponseEntity<?> get(@PathVariable String accountId) {
        return readModel.balance(accountId).<ResponseEntity<?>>map(ResponseEntity::ok).orElseGet(
                () -> ResponseEntity.of(ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                        "No account [" + accountId + "] in account-balances (yet: the projection follows the "
                                + "events a moment later; or its events are dead-lettered)")).build());
    }

    /** The activity projection ({@code account-activity}). */
    @GetMapping("/{accountId}/activity")
    public List<AccountReadModel.Activity> activity(@PathVariable String accountId) {
        return readModel.activity(accountId);
    }

    private static long amount(AmountRequest request) {
        if (request.amount() == null) {
            throw new IllegalArgumentException("amount is required");
        }
        return request.amount();
    }
}
