package io.axondlq.spring.reliability.app;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Reaches {@link ActionFreezer} point {@value #POINT} when an export writes its first letter to the response: the
 * export's audit entry is committed by then and the letters are leaving.
 */
public final class FreezingExportFilter extends OncePerRequestFilter {

    public static final String POINT = "export-write";

    private final ActionFreezer freezer;

    public FreezingExportFilter(ActionFreezer freezer) {
        this.freezer = freezer;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!request.getRequestURI().endsWith("/export")) {
            chain.doFilter(request, response);
            return;
        }
        chain.doFilter(request, new HttpServletResponseWrapper(response) {
            private ServletOutputStream stream;

            @Override
            public ServletOutputStream getOutputStream() throws IOException {
                if (stream == null) {
                    ServletOutputStream out = super.getOutputStream();
                    stream = new ServletOutputStream() {
                        @Override
                        public void write(int b) throws IOException {
                            freezer.reached(POINT);
                            out.write(b);
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            freezer.reached(POINT);
                            out.write(b, off, len);
                        }

                        @Override
                        public void flush() throws IOException {
                            out.flush();
                        }

                        @Override
                        public boolean isReady() {
                            return out.isReady();
                        }

                        @Override
                        public void setWriteListener(WriteListener listener) {
                            out.setWriteListener(listener);
                        }
                    };
                }
                return stream;
            }
        });
    }
}
