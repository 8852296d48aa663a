package io.axondlq.sample;

import java.util.Arrays;

/** Reads values out of a Prometheus text scrape. */
final class Prometheus {

    private Prometheus() {
    }

    /** Matches a label with this value, whatever the label's name ({@code processingGroup="account-balances"}). */
    static String label(String value) {
        return "=\"" + value + "\"";
    }

    /**
     * The sum of every sample of {@code metric} whose labels include all of {@code labels} (each written
     * {@code name="value"}); -1 when there is no such sample.
     */
    static double value(String scrape, String metric, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            if (Arrays.stream(labels).allMatch(series::contains)) {
                sum += Double.parseDouble(line.substring(space + 1));
                found = true;
            }
        }
        return found ? sum : -1;
    }
}
