-- An application's own first migration: the version axon-dlq's V1 would collide with in one Flyway history.
CREATE TABLE app_thing (id INT PRIMARY KEY);
