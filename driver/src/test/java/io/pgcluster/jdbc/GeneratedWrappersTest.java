package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What matters in the JDBC wrapper bases that the build generates (src/build/java/.../JdbcWrapperGenerator.java):
 * every execute method of {@code Statement}, {@code PreparedStatement} and {@code CallableStatement} goes through
 * {@code run}, the one place where a statement executes, and reaches the physical statement's same method with the
 * same arguments and result. A generator that forwarded an execute method straight to the physical statement (so
 * that a failure there escaped failover) fails here.
 */
class GeneratedWrappersTest {

    /** The funnel's descriptor as javap prints an invocation of it. */
    private static final String RUN = "run:(ILjava/lang/String;ILjava/lang/Object;)Ljava/lang/Object;";

    @Test
    void everyExecuteMethodOfTheStatementInterfacesGoesThroughRun() throws Exception {
        assertGoesThroughRun(Statement.class, LogicalStatement.class);
        assertGoesThroughRun(PreparedStatement.class, LogicalPreparedStatement.class);
        assertGoesThroughRun(CallableStatement.class, LogicalCallableStatement.class);
    }

    /** Reads the bytecode of each execute method's implementation: it invokes run and no java.sql method. */
    private static void assertGoesThroughRun(Class<?> iface, Class<?> logical) throws Exception {
        Map<Class<?>, String> javap = new HashMap<>();
        List<Method> executes = executeMethods(iface);
        assertThat(executes).as(iface.getSimpleName() + " execute methods").isNotEmpty();
        for (Method m : executes) {
            Method impl = logical.getMethod(m.getName(), m.getParameterTypes());
            Class<?> owner = impl.getDeclaringClass();
            assertThat(owner.isInterface()).as(impl + " is implemented, not the interface's default").isFalse();
            String code = methodCode(javap.computeIfAbsent(owner, GeneratedWrappersTest::javap), impl);
            assertThat(code).as(impl + " calls run").containsPattern("// Method (\\S+\\.)?" + RUN.replace("(", "\\(")
                    .replace(")", "\\)").replace("[", "\\["));
            assertThat(code).as(impl + " does not call the physical statement itself")
                    .doesNotContain("InterfaceMethod java/sql/");
        }
    }

    @Test
    void runCarriesEachExecuteMethodToTheSameMethodOfThePhysicalStatement() throws Exception {
        List<Object[]> physicalCalls = new ArrayList<>();
        Object resultSet = Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ResultSet.class},
                (proxy, method, args) -> null);
        int[] counts = {1, 2};
        long[] largeCounts = {3, 4};
        Statement physical = (Statement) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Statement.class}, (proxy, method, args) -> {
                    physicalCalls.add(new Object[] {method, args == null ? new Object[0] : args});
                    return result(method.getReturnType(), resultSet, counts, largeCounts);
                });
        List<Integer> ops = new ArrayList<>();
        StatementWrapper<Statement> wrapper = new Funnel(ops);
        wrapper.delegate = physical;

        Set<Integer> distinct = new HashSet<>();
        for (Method m : executeMethods(Statement.class)) {
            physicalCalls.clear();
            ops.clear();
            Object[] args = arguments(m);
            Object returned = m.invoke(wrapper, args);

            assertThat(ops).as(m + " runs once").hasSize(1);
            assertThat(distinct.add(ops.get(0))).as(m + " has an op code of its own").isTrue();
            assertThat(physicalCalls).as(m + " reaches the physical statement once").hasSize(1);
            Method reached = (Method) physicalCalls.get(0)[0];
            assertThat(reached.getName() + Arrays.toString(reached.getParameterTypes()))
                    .isEqualTo(m.getName() + Arrays.toString(m.getParameterTypes()));
            assertThat((Object[]) physicalCalls.get(0)[1]).as(m + " arguments").containsExactly(args);
            Object expected = result(m.getReturnType(), resultSet, counts, largeCounts);
            if (m.getReturnType().isPrimitive()) {
                assertThat(returned).as(m + " result").isEqualTo(expected);
            } else {
                assertThat(returned).as(m + " result").isSameAs(expected);
            }
        }
    }

    /** What the fake physical statement returns for a method returning {@code type}. */
    private static Object result(Class<?> type, Object resultSet, int[] counts, long[] largeCounts) {
        if (type == boolean.class) {
            return Boolean.TRUE;
        }
        if (type == int.class) {
            return 5;
        }
        if (type == long.class) {
            return 6L;
        }
        if (type == int[].class) {
            return counts;
        }
        return type == long[].class ? largeCounts : resultSet;
    }

    private static Object[] arguments(Method m) {
        Class<?>[] types = m.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            Class<?> t = types[i];
            args[i] = t == String.class ? "select " + i : t == int.class ? (Object) 7 : t == int[].class
                    ? new int[] {1} : new String[] {"id"};
        }
        return args;
    }

    /** The funnel of a statement, reduced to what the generated half relies on: the op, then {@code call}. */
    private static final class Funnel extends StatementWrapper<Statement> {
        private final List<Integer> ops;

        Funnel(List<Integer> ops) {
            this.ops = ops;
        }

        @Override
        Object run(int op, String sql, int n, Object columns) throws SQLException {
            ops.add(op);
            return call(op, sql, n, columns);
        }

        @Override
        void setting(int op, long bits, Object value) {
            throw new AssertionError("not a setting");
        }

        @Override
        public void close() {
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public <T> T unwrap(Class<T> iface) {
            throw new AssertionError();
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }

        @Override
        public void addBatch(String sql) {
        }

        @Override
        public void clearBatch() {
        }

        @Override
        public java.sql.Connection getConnection() {
            return null;
        }
    }

    /** The execute methods of {@code iface}, inherited ones included. */
    private static List<Method> executeMethods(Class<?> iface) {
        return Arrays.stream(iface.getMethods())
                .filter(m -> m.getName().startsWith("execute") && !Modifier.isStatic(m.getModifiers()))
                .collect(Collectors.toList());
    }

    /** {@code javap -c -p} of a class. */
    private static String javap(Class<?> c) {
        StringWriter out = new StringWriter();
        String file;
        try {
            file = Path.of(c.getResource(c.getSimpleName() + ".class").toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        int rc = ToolProvider.findFirst("javap").orElseThrow()
                .run(new PrintWriter(out, true), new PrintWriter(out, true), "-c", "-p", file);
        assertThat(rc).as("javap " + file + ": " + out).isZero();
        return out.toString();
    }

    /** The bytecode listing of {@code m} in a javap listing. */
    private static String methodCode(String listing, Method m) {
        String declaration = " " + m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getTypeName)
                .collect(Collectors.joining(", ", "(", ")"));
        for (String block : listing.split("\\R\\R")) {
            String first = block.strip().lines().findFirst().orElse("");
            if (first.contains(declaration) && first.startsWith("public ")) {
                return block;
            }
        }
        throw new AssertionError(declaration + " not found in javap listing");
    }
}
