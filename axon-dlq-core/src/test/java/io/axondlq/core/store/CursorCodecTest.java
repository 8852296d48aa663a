package io.axondlq.core.store;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one cursor codec and the one page type: cursors stay what they were on the wire, forged ones are refused. */
class CursorCodecTest {

    @Test
    void cursorsRoundTripAndKeepTheirWireFormat() {
        UUID id = UUID.randomUUID();
        Instant time = Instant.parse("2030-01-02T03:04:05.123456Z");

        String cursor = CursorCodec.encode('L', time.getEpochSecond(), time.getNano(), id);

        // the format every listing handed out before there was one codec, so that cursors held by clients still work
        assertThat(cursor).isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("L|" + time.getEpochSecond() + "|" + time.getNano() + "|" + id).getBytes(StandardCharsets.UTF_8)));
        String[] parts = CursorCodec.decode(cursor, 'L', 3);
        assertThat(CursorCodec.instant(parts[0], parts[1], cursor)).isEqualTo(time);
        assertThat(CursorCodec.uuid(parts[2], cursor)).isEqualTo(id);
        // the last part keeps everything after it, separators included (sequence keys may hold '|')
        assertThat(CursorCodec.decode(CursorCodec.encode('S', "a|b|c"), 'S', 1)).containsExactly("a|b|c");
        assertThat(CursorCodec.number(CursorCodec.decode(CursorCodec.encode('J', 42), 'J', 1)[0], "c")).isEqualTo(42);
    }

    @Test
    void forgedCursorsAreInvalidCursorsNeverAnythingElse() {
        String letters = CursorCodec.encode('L', 1, 2, UUID.randomUUID());
        List<Runnable> forged = List.of(
                () -> CursorCodec.decode("not base64!", 'L', 3),
                () -> CursorCodec.decode(letters, 'S', 1),
                () -> CursorCodec.decode(letters, 'L', 4),
                () -> CursorCodec.decode(b64("L"), 'L', 1),
                () -> CursorCodec.decode(b64("Lx1"), 'L', 1),
                () -> CursorCodec.instant("1", "-1", "c"),
                () -> CursorCodec.instant("1", "1000000000", "c"),
                () -> CursorCodec.instant("x", "0", "c"),
                () -> CursorCodec.instant(String.valueOf(Long.MAX_VALUE), "0", "c"),
                () -> CursorCodec.instant("-62135596801", "0", "c"),
                () -> CursorCodec.instant("253402300800", "0", "c"),
                () -> CursorCodec.uuid("not-a-uuid", "c"),
                () -> CursorCodec.number("1e3", "c"),
                () -> CursorCodec.text("a\u0000b", 10, "c"),
                () -> CursorCodec.text("x".repeat(11), 10, "c"));
        for (Runnable attempt : forged) {
            assertThatThrownBy(attempt::run).isInstanceOf(InvalidCursorException.class);
        }
        assertThat(CursorCodec.instant("-62135596800", "0", "c")).isEqualTo(CursorCodec.EARLIEST);
        assertThat(CursorCodec.text("x".repeat(10), 10, "c")).hasSize(10);
    }

    @Test
    void aPageOfLimitPlusOneRowsHasACursorOfItsLastItem() {
        assertThat(Page.of(List.of(1, 2), 2, i -> "after-" + i)).isEqualTo(new Page<>(List.of(1, 2), null));
        assertThat(Page.of(List.of(1, 2, 3), 2, i -> "after-" + i)).isEqualTo(new Page<>(List.of(1, 2), "after-2"));
        assertThat(Page.of(List.<Integer>of(), 2, i -> "after-" + i).next()).isEmpty();
    }

    private static String b64(String plain) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }
}
