package io.pgcluster.examples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small order service on a Patroni cluster through pgcluster's Spring Boot starter: its read-only service methods
 * run on replicas, the others on the leader; Actuator shows the cluster's health and pgcluster's meters.
 */
@SpringBootApplication
public class OrdersApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }
}
