package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import io.axondlq.core.operations.LetterSink;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.spring.properties.PayloadMode;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/** Where an export writes its {@link LetterExport}s: a JSON array or NDJSON, with the API's own mapper. */
final class ExportSinks {

    private ExportSinks() {
    }

    /** A JSON array, flushed after each page. */
    static final class JsonArray implements LetterSink {

        private final JsonGenerator generator;
        private final PayloadMode mode;

        private final LetterViews views;

        JsonArray(OutputStream out, LetterViews views, PayloadMode mode) throws IOException {
            this.views = views;
            this.generator = ApiJson.MAPPER.createGenerator(out, JsonEncoding.UTF8);
            this.generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            this.generator.writeStartArray();
            this.mode = mode;
        }

        @Override
        public void letter(StoredLetter letter, List<AttemptRecord> attempts) throws IOException {
            generator.writeObject(views.export(letter, attempts, mode));
        }

        @Override
        public void pageEnd() throws IOException {
            generator.flush();
        }

        @Override
        public void end() throws IOException {
            generator.writeEndArray();
            generator.close();
        }
    }

    /** One JSON object per line, flushed after each page. */
    static final class Ndjson implements LetterSink {

        private final OutputStream out;
        private final PayloadMode mode;

        private final LetterViews views;

        Ndjson(OutputStream out, LetterViews views, PayloadMode mode) {
            this.views = views;
            this.out = out;
            this.mode = mode;
        }

        @Override
        public void letter(StoredLetter letter, List<AttemptRecord> attempts) throws IOException {
            out.write(ApiJson.MAPPER.writeValueAsBytes(views.export(letter, attempts, mode)));
            out.write('\n');
        }

        @Override
        public void pageEnd() throws IOException {
            out.flush();
        }
    }
}
