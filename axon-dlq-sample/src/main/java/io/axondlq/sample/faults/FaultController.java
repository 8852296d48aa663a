package io.axondlq.sample.faults;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Map;

/**
 * The fault switch over HTTP (admin only): {@code POST /faults} breaks handlers, {@code GET /faults} lists the faults,
 * {@code DELETE /faults} "fixes the bug", {@code DELETE /faults/{id}} removes one fault.
 */
@RestController
@RequestMapping("/faults")
public class FaultController {

    private final FaultSwitch faults;

    public FaultController(FaultSwitch faults) {
        this.faults = faults;
    }

    @PostMapping
    public ResponseEntity<Fault.View> add(@RequestBody FaultRequest request) {
        return ResponseEntity.status(HttpStatus.CREATED).body(faults.add(request).view());
    }

    @GetMapping
    public List<Fault.View> list() {
        return faults.list().stream().map(Fault::view).toList();
    }

    @DeleteMapping
    public Map<String, Integer> clear() {
        return Map.of("removed", faults.clear());
    }

    @DeleteMapping("/{id}")
    public ResponseEntity<?> remove(@PathVariable String id) {
        return faults.remove(id).<ResponseEntity<?>>map(f -> ResponseEntity.ok(f.view())).orElseGet(
                () -> ResponseEntity.of(ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "No fault [" + id + "]"))
                                    .build());
    }
}
