CREATE TABLE IF NOT EXISTS ledger_entry (
    entry_id   BIGINT AUTO_INCREMENT PRIMARY KEY,
    account_id VARCHAR(255) NOT NULL,
    amount     BIGINT       NOT NULL,
    note       VARCHAR(255)
);
