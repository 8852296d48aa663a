package io.axondlq.spring.web;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.lang.Nullable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.util.List;

/**
 * Reads and writes the REST API's request and response records (the types of this package) with {@link ApiJson}'s
 * strict mapper, ahead of the application's own converters, which keep every other type. Registered by
 * {@link AxonDlqWebAutoConfiguration}.
 * <p>
 * A request body is read only as {@code application/json} (parameters such as a charset allowed; no wildcards, no
 * other {@code +json} types) and at most {@value #MAX_BODY_LENGTH} bytes of it: a longer body is refused (413)
 * without being buffered.
 */
class ApiMessageConverter extends MappingJackson2HttpMessageConverter {

    static final int MAX_BODY_LENGTH = 16 * 1024;
    private static final String PACKAGE = ApiMessageConverter.class.getPackageName() + ".";

    ApiMessageConverter() {
        super(ApiJson.MAPPER);
        setSupportedMediaTypes(List.of(MediaType.APPLICATION_JSON, MediaType.APPLICATION_PROBLEM_JSON));
    }

    private static boolean ours(@Nullable Class<?> type) {
        return type != null && type.getName().startsWith(PACKAGE);
    }

    private static boolean json(@Nullable MediaType type) {
        return type != null && !type.isWildcardType() && !type.isWildcardSubtype()
                && type.isCompatibleWith(MediaType.APPLICATION_JSON);
    }

    @Override
    public boolean canRead(Class<?> clazz, @Nullable MediaType mediaType) {
        return ours(clazz) && json(mediaType) && super.canRead(clazz, mediaType);
    }

    @Override
    public boolean canRead(Type type, @Nullable Class<?> contextClass, @Nullable MediaType mediaType) {
        return ours(getJavaType(type, contextClass).getRawClass()) && json(mediaType)
                && super.canRead(type, contextClass, mediaType);
    }

    @Override
    public boolean canWrite(Class<?> clazz, @Nullable MediaType mediaType) {
        return ours(clazz) && super.canWrite(clazz, mediaType);
    }

    @Override
    public boolean canWrite(@Nullable Type type, Class<?> clazz, @Nullable MediaType mediaType) {
        return ours(clazz) && super.canWrite(type, clazz, mediaType);
    }

    /** Answers are JSON; only a problem is {@code application/problem+json}. */
    @Override
    public List<MediaType> getSupportedMediaTypes(Class<?> clazz) {
        return List.of(clazz == ProblemDocument.class ? MediaType.APPLICATION_PROBLEM_JSON : MediaType.APPLICATION_JSON);
    }

    @Override
    public Object read(Type type, @Nullable Class<?> contextClass, HttpInputMessage inputMessage)
            throws IOException, HttpMessageNotReadableException {
        return super.read(type, contextClass, bounded(inputMessage));
    }

    @Override
    protected Object readInternal(Class<?> clazz, HttpInputMessage inputMessage)
            throws IOException, HttpMessageNotReadableException {
        return super.readInternal(clazz, bounded(inputMessage));
    }

    /** Reads at most one byte more than allowed, so an oversized body costs no memory. */
    private static HttpInputMessage bounded(HttpInputMessage message) throws IOException {
        byte[] body;
        try (InputStream in = message.getBody()) {
            body = in.readNBytes(MAX_BODY_LENGTH + 1);
        }
        if (body.length > MAX_BODY_LENGTH) {
            throw new DeadLetterApiException(ProblemType.PAYLOAD_TOO_LARGE,
                                             "The request body is longer than " + MAX_BODY_LENGTH + " bytes");
        }
        HttpHeaders headers = message.getHeaders();
        return new HttpInputMessage() {
            @Override
            public InputStream getBody() {
                return new ByteArrayInputStream(body);
            }

            @Override
            public HttpHeaders getHeaders() {
                return headers;
            }
        };
    }
}
