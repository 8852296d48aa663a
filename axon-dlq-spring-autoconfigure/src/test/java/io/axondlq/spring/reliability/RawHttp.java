package io.axondlq.spring.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * HTTP/1.1 over a plain socket, one connection per request: the request target, headers and body bytes go out exactly
 * as given (no client-side encoding, normalization or validation), so malformed requests reach the server as they are.
 */
final class RawHttp {

    private final int port;

    RawHttp(int port) {
        this.port = port;
    }

    /** A request as it goes on the wire. {@code headers}: name, value, name, value, ... */
    record Request(String endpoint, String method, String target, List<String> headers, byte[] body, String why) {

        @Override
        public String toString() {
            String shown = target.length() > 160 ? target.substring(0, 160) + "…(" + target.length() + ")" : target;
            String bodyText = body == null ? "" : " body[" + body.length + "]="
                    + new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8);
            return "[" + endpoint + "/" + why + "] " + method + " " + shown + " " + headers + bodyText;
        }
    }

    record Response(int status, String head, String body) {
    }

    Response send(Request request) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(60_000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write((request.method() + " " + request.target() + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(("Host: localhost:" + port + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.write("Connection: close\r\n".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i + 1 < request.headers().size(); i += 2) {
                out.write((request.headers().get(i) + ": " + request.headers().get(i + 1) + "\r\n")
                                  .getBytes(StandardCharsets.UTF_8));
            }
            if (request.body() != null) {
                out.write(("Content-Length: " + request.body().length + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.write("\r\n".getBytes(StandardCharsets.UTF_8));
            if (request.body() != null) {
                out.write(request.body());
            }
            OutputStream stream = socket.getOutputStream();
            try {
                out.writeTo(stream);
                stream.flush();
            } catch (IOException e) {
                // The server may answer (413, 400) and close before reading an oversized body: read what it said.
            }
            return read(socket.getInputStream());
        }
    }

    private static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("no complete response within 60s", e);
        } catch (IOException e) {
            // connection reset after a complete response: keep what arrived
            if (bytes.size() == 0) {
                throw e;
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        String head = headEnd < 0 ? text : text.substring(0, headEnd);
        String body = headEnd < 0 ? "" : text.substring(headEnd + 4);
        if (!head.startsWith("HTTP/1.1 ") && !head.startsWith("HTTP/1.0 ")) {
            throw new IOException("not an HTTP response: " + (text.length() > 200 ? text.substring(0, 200) : text));
        }
        int status = Integer.parseInt(head.substring(9, 12));
        return new Response(status, head, body);
    }
}
