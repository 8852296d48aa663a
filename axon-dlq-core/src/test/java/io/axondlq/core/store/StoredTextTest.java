package io.axondlq.core.store;

import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/** The rules of {@link StoredText}, without a database; the store tests check that each field goes through them. */
class StoredTextTest {

    @Test
    void cleanTextIsReturnedAsItIs() {
        String text = "plain text with an emoji \uD83D\uDE00";
        assertThat(StoredText.clean(text)).isSameAs(text);
        assertThat(StoredText.text(text, 100)).isSameAs(text);
        assertThat(StoredText.identifier(text, 100)).isSameAs(text);
        assertThat(StoredText.text(null, 10)).isNull();
        assertThat(StoredText.identifier(null, 255)).isNull();
    }

    @Test
    void nulAndLoneSurrogatesAreReplaced() {
        assertThat(StoredText.clean("a\u0000b")).isEqualTo("a\uFFFDb");
        assertThat(StoredText.clean("\uD800")).isEqualTo("\uFFFD");
        assertThat(StoredText.clean("x\uDC00y")).isEqualTo("x\uFFFDy");
        assertThat(StoredText.clean("\uDC00\uD800")).isEqualTo("\uFFFD\uFFFD"); // reversed pair: two lone halves
        assertThat(StoredText.clean("\uD83D\uDE00\u0000")).isEqualTo("\uD83D\uDE00\uFFFD");
    }

    @Test
    void cuttingNeverSplitsASurrogatePair() {
        String emoji = "\uD83D\uDE00";
        assertThat(StoredText.text("a" + emoji, 2)).isEqualTo("a");
        assertThat(StoredText.text("a" + emoji, 3)).isEqualTo("a" + emoji);
        assertThat(StoredText.text("abcdef", 3)).isEqualTo("abc");
    }

    @Test
    void byteLimitCountsUtf8() {
        String text = "\u20AC".repeat(600); // 3 bytes each
        String cut = StoredText.text(text, 512, 1_500);
        assertThat(cut).hasSize(500);
        assertThat(cut.getBytes(UTF_8)).hasSize(1_500);
        assertThat(StoredText.text("abc", 512, 1_500)).isEqualTo("abc");
    }

    @Test
    void changedIdentifiersStayDistinctAndStable() {
        String long1 = "e".repeat(300);
        String long2 = "e".repeat(300) + "x";
        String stored1 = StoredText.identifier(long1, 255);

        assertThat(stored1).hasSize(255).startsWith("e".repeat(222) + "#");
        assertThat(StoredText.identifier(long1, 255)).isEqualTo(stored1);
        assertThat(StoredText.identifier(long2, 255)).isNotEqualTo(stored1);
        // Cleaning alone changes an identifier too: NUL and U+FFFD must not meet in the same stored value.
        assertThat(StoredText.identifier("a\u0000b", 255)).isNotEqualTo(StoredText.identifier("a\uFFFDb", 255))
                                                        .startsWith("a\uFFFDb#");
    }

    @Test
    void draftsAndAttemptsCleanTheirCauseFields() {
        AttemptRecord attempt = new AttemptRecord(1, java.time.Instant.EPOCH, "n\u0000", "T\u0000",
                                                  "m\u0000" + "m".repeat(2_000));
        assertThat(attempt.node()).isEqualTo("n\uFFFD");
        assertThat(attempt.causeType()).isEqualTo("T\uFFFD");
        assertThat(attempt.causeMessage()).hasSize(Causes.MAX_MESSAGE_LENGTH).startsWith("m\uFFFDm");
    }

    @Test
    void quotedTextIsPrintableAndCutWithAMark() {
        assertThat(StoredText.shorten("plain", 64)).isEqualTo("plain");
        assertThat(StoredText.shorten(null, 64)).isEmpty();
        assertThat(StoredText.shorten("a\u0000b\nc\u007f", 64)).isEqualTo("a?b?c?");
        assertThat(StoredText.shorten("x".repeat(64), 64)).isEqualTo("x".repeat(64));
        assertThat(StoredText.shorten("x".repeat(65), 64)).isEqualTo("x".repeat(64) + "\u2026");
        // never half a surrogate pair, never a lone surrogate
        assertThat(StoredText.shorten("x".repeat(63) + "\uD83D\uDE00tail", 64)).isEqualTo("x".repeat(63) + "\u2026");
        assertThat(StoredText.shorten("a\uD800b", 64)).isEqualTo("a\uFFFDb");
        assertThat(StoredText.cut(null, 3)).isNull();
        assertThat(StoredText.cut("abcdef", 3)).isEqualTo("abc");
    }
}
