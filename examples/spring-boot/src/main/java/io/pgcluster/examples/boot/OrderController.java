package io.pgcluster.examples.boot;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /orders?item=...}, {@code GET /orders/count}, {@code GET /where}. */
@RestController
public class OrderController {
    private final OrderService orders;

    public OrderController(OrderService orders) {
        this.orders = orders;
    }

    @PostMapping("/orders")
    public Map<String, Object> place(@RequestParam("item") String item) {
        return Map.of("id", orders.place(item));
    }

    @GetMapping("/orders/count")
    public Map<String, Object> count() {
        return Map.of("count", orders.count());
    }

    @GetMapping("/where")
    public Map<String, Object> where() {
        return Map.of("readOnly", orders.whereReadsRun(), "readWrite", orders.whereWritesRun());
    }
}
