package io.pgcluster.jdbc.build;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes the JDBC wrapper bases of the driver ({@code StatementWrapper}, {@code PreparedStatementWrapper},
 * {@code CallableStatementWrapper}, {@code ConnectionWrapper}) from the {@code java.sql} interfaces at build time, as
 * HikariCP generates its proxies: the hand-written {@code Logical*} classes keep only what matters (binding, the
 * execution funnel, recording), and the ~250 methods that merely forward or record are written here, by rule:
 * <ul>
 *   <li>every {@code execute*} method calls the one funnel, {@code run(op, sql, n, columns)}, with an op code that
 *       {@code call} dispatches on (no lambda, no boxing);</li>
 *   <li>the statement settings a re-created statement needs again call {@code setting(op, bits, value)};</li>
 *   <li>every {@code PreparedStatement} parameter setter calls {@code param(op, index, bits, value, extra, a, b)}:
 *       primitives travel as long bits, so recording allocates nothing;</li>
 *   <li>a few methods are left to the hand-written classes (they stay abstract here, so the compiler says when
 *       one is missing);</li>
 *   <li>everything else forwards to the physical statement or connection.</li>
 * </ul>
 * The driver's build runs it in {@code generate-sources} (exec-maven-plugin, see driver/pom.xml) with Java's
 * single-file source launcher, so it is one file using the JDK only, and is never compiled into the driver:
 * {@code java driver/src/build/java/io/pgcluster/jdbc/build/JdbcWrapperGenerator.java driver/target/generated-sources/jdbc}.
 * The output is never checked in; {@code GeneratedWrappersTest} checks what matters in it (every execute method goes
 * through {@code run}).
 */
final class JdbcWrapperGenerator {
    /**
     * The package of the generated classes, which is also the package of every type they name without qualifying
     * it ({@code LogicalConnection}, {@code LogicalStatement} and its {@code Factory}, {@code LogicalPreparedStatement},
     * {@code LogicalCallableStatement}, {@code SessionSettings}, {@code ParamLog}): change it here if those move.
     */
    static final String PACKAGE = "io.pgcluster.jdbc";
    /** This file, as the generated headers name it. */
    private static final String SOURCE = "driver/src/build/java/io/pgcluster/jdbc/build/JdbcWrapperGenerator.java";

    /** Methods of Statement the hand-written LogicalStatement implements itself. */
    private static final Set<String> STATEMENT_HAND_WRITTEN = Set.of("close()", "isClosed()", "unwrap(Class)",
            "isWrapperFor(Class)", "addBatch(String)", "clearBatch()", "getConnection()");
    /** Settings a re-created physical statement gets again. */
    private static final Set<String> SETTINGS = Set.of("setCursorName(String)", "setEscapeProcessing(boolean)",
            "setFetchDirection(int)", "setFetchSize(int)", "setMaxRows(int)", "setLargeMaxRows(long)",
            "setMaxFieldSize(int)", "setPoolable(boolean)", "setQueryTimeout(int)", "closeOnCompletion()");
    /** Methods of PreparedStatement the hand-written LogicalPreparedStatement implements itself. */
    private static final Set<String> PREPARED_HAND_WRITTEN = Set.of("addBatch()", "clearParameters()",
            "setBytes(int,byte[])");
    /** Parameter setters whose value can be given again on a re-created statement. */
    private static final Set<String> REPLAYABLE = Set.of("setBoolean", "setByte", "setShort", "setInt", "setLong",
            "setFloat", "setDouble", "setBigDecimal", "setString", "setNString", "setDate", "setTime", "setTimestamp",
            "setURL", "setNull", "setBytes");

    /** Methods of Connection the hand-written LogicalConnection implements itself. */
    private static final Set<String> CONNECTION_HAND_WRITTEN = Set.of("setAutoCommit(boolean)", "getAutoCommit()",
            "setReadOnly(boolean)", "isReadOnly()", "commit()", "rollback()", "rollback(Savepoint)",
            "setSavepoint()", "setSavepoint(String)", "releaseSavepoint(Savepoint)", "close()", "isClosed()",
            "abort(Executor)", "unwrap(Class)", "isWrapperFor(Class)", "isValid(int)", "getWarnings()",
            "clearWarnings()", "getMetaData()", "setClientInfo(String,String)", "setClientInfo(Properties)");
    /** Session properties a logical connection records and applies to every physical connection it binds. */
    private static final Set<String> SESSION = Set.of("setCatalog(String)", "setHoldability(int)",
            "setNetworkTimeout(Executor,int)", "setSchema(String)", "setTransactionIsolation(int)",
            "setTypeMap(Map)");

    private JdbcWrapperGenerator() {
    }

    /**
     * Writes the classes under {@code args[0]}. A file whose content is unchanged is left alone, so that an
     * incremental build does not recompile the module for nothing.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: java JdbcWrapperGenerator.java <output source root>");
        }
        Path dir = Path.of(args[0]).resolve(PACKAGE.replace('.', '/'));
        Files.createDirectories(dir);
        for (Map.Entry<String, String> e : generate().entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(e.getValue())) {
                Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
            }
        }
    }

    /** File name to content. */
    static Map<String, String> generate() {
        Map<String, String> files = new LinkedHashMap<>();
        int[] nextOp = {0};
        files.put("StatementWrapper.java", statementWrapper(nextOp));
        files.put("PreparedStatementWrapper.java", preparedWrapper(nextOp));
        files.put("CallableStatementWrapper.java", callableWrapper());
        files.put("ConnectionWrapper.java", connectionWrapper());
        return files;
    }

    // ---- the three classes -----------------------------------------------------------------------------------

    private static String statementWrapper(int[] nextOp) {
        List<Method> methods = methods(Statement.class, true);
        List<Method> executes = filter(methods, JdbcWrapperGenerator::isExecute);
        List<Method> settings = filter(methods, m -> SETTINGS.contains(key(m)));
        StringBuilder b = header("Statement", "StatementWrapper<S extends java.sql.Statement>",
                "java.sql.Statement",
                "The {@link java.sql.Statement} methods of {@link LogicalStatement}: execute methods go to its funnel,\n"
                        + " * settings to {@code setting}, the rest to the physical statement.");
        constants(b, "the execute methods, dispatched on by {@link #call}", executes, nextOp);
        constants(b, "the settings a re-created statement gets again, applied by {@link #applySetting}", settings,
                new int[] {0});
        b.append("    /** How many settings there are. */\n    static final int SETTINGS = ").append(settings.size())
                .append(";\n\n");
        b.append("    /** The physical statement. */\n    S delegate;\n\n");
        // The result comes back as the return value, never through a field: a result set that only passes through
        // locals can be scalar-replaced by the JIT's escape analysis when the caller's use of it is inlined.
        b.append("    /**\n     * The one place where a statement executes: see {@link LogicalStatement#run}. Returns what {@link #call}\n"
                + "     * returns.\n     */\n"
                + "    abstract Object run(int op, String sql, int n, Object columns) throws java.sql.SQLException;\n\n");
        b.append("    /** Records a setting and applies it to the physical statement if that is current. */\n"
                + "    abstract void setting(int op, long bits, Object value) throws java.sql.SQLException;\n\n");
        b.append("    /** Whether {@code op} executes the batch (which the driver clears, whatever the outcome). */\n"
                + "    static boolean isBatch(int op) {\n        return ");
        b.append(filter(executes, m -> m.getName().endsWith("Batch")).stream().map(JdbcWrapperGenerator::constant)
                .map(c -> "op == " + c).collect(Collectors.joining(" || ")));
        b.append(";\n    }\n\n");
        dispatch(b, executes, false);
        apply(b, "Applies setting {@code op} to {@code s}.",
                "applySetting(java.sql.Statement s, int op, long bits, Object value)\n"
                        + "            throws java.sql.SQLException {", "setting", settings,
                m -> "s." + m.getName() + "(" + (m.getParameterCount() == 0 ? ""
                        : fromSlot(m.getParameterTypes()[0], m.getParameterTypes()[0].isPrimitive() ? "bits" : "value"))
                        + ")");
        for (Method m : methods) {
            if (STATEMENT_HAND_WRITTEN.contains(key(m))) {
                continue;
            }
            if (isExecute(m)) {
                method(b, m, executeBody(m));
            } else if (SETTINGS.contains(key(m))) {
                String arg = m.getParameterCount() == 0 ? "0, null"
                        : m.getParameterTypes()[0].isPrimitive() ? toBits(m.getParameterTypes()[0], "a1") + ", null"
                        : "0, a1";
                method(b, m, "setting(" + constant(m) + ", " + arg + ");");
            } else {
                method(b, m, forward(m));
            }
        }
        return b.append("}\n").toString();
    }

    private static String preparedWrapper(int[] nextOp) {
        List<Method> methods = methods(PreparedStatement.class, false);
        List<Method> executes = filter(methods, JdbcWrapperGenerator::isExecute);
        List<Method> params = filter(methods, JdbcWrapperGenerator::isParam);
        StringBuilder b = header("PreparedStatement",
                "PreparedStatementWrapper<S extends java.sql.PreparedStatement> extends LogicalStatement<S>",
                "java.sql.PreparedStatement",
                "The methods {@link java.sql.PreparedStatement} adds, for {@link LogicalPreparedStatement}: execute\n"
                        + " * methods go to the funnel, parameter setters to {@code param}, the rest to the physical statement.");
        constants(b, "the execute methods, dispatched on by {@link #call}", executes, nextOp);
        constants(b, "the parameter setters, applied by {@link #applyParam}", params, new int[] {0});
        b.append("    PreparedStatementWrapper(LogicalConnection conn, String sql, Factory<S> factory)\n"
                + "            throws java.sql.SQLException {\n        super(conn, sql, factory);\n    }\n\n");
        b.append("    /**\n     * Records a parameter (when it can be given again) and sets it: {@code bits} carries a primitive, "
                + "{@code value}\n     * and {@code extra} objects, {@code a} and {@code b} int arguments after the value.\n     */\n"
                + "    abstract void param(int op, int index, long bits, Object value, Object extra, int a, int b)\n"
                + "            throws java.sql.SQLException;\n\n");
        b.append("    /** Whether parameter setter {@code op} with {@code value} can be given again with the same meaning. */\n"
                + "    static boolean isReplayable(int op, Object value) {\n        switch (op) {\n");
        for (Method m : params) {
            if (REPLAYABLE.contains(m.getName())) {
                b.append("            case ").append(constant(m)).append(":\n");
            }
        }
        b.append("                return true;\n");
        for (Method m : params) {
            if (m.getName().equals("setObject")) {
                b.append("            case ").append(constant(m)).append(":\n");
            }
        }
        b.append("                return ParamLog.isImmutable(value);\n            default:\n                return false;\n"
                + "        }\n    }\n\n");
        dispatch(b, executes, true);
        apply(b, "Applies parameter setter {@code op} to {@code s}.",
                "applyParam(java.sql.PreparedStatement s, int op, int index, long bits, Object value,\n"
                        + "            Object extra, int a, int b) throws java.sql.SQLException {", "parameter", params,
                m -> {
                    String[] slots = slots(m);
                    StringBuilder call = new StringBuilder("s.").append(m.getName()).append("(index");
                    Class<?>[] types = m.getParameterTypes();
                    for (int i = 1; i < types.length; i++) {
                        call.append(", ").append(fromSlot(types[i], slots[i]));
                    }
                    return call.append(')').toString();
                });
        for (Method m : methods) {
            if (PREPARED_HAND_WRITTEN.contains(key(m))) {
                continue;
            }
            if (isExecute(m)) {
                method(b, m, executeBody(m));
            } else if (params.contains(m)) {
                String[] slots = slots(m);
                String[] args = {"0", "null", "null", "0", "0"};
                List<String> names = List.of("bits", "value", "extra", "a", "b");
                Class<?>[] types = m.getParameterTypes();
                for (int i = 1; i < types.length; i++) {
                    args[names.indexOf(slots[i])] = toBits(types[i], "a" + (i + 1));
                }
                method(b, m, "param(" + constant(m) + ", a1, " + String.join(", ", args) + ");");
            } else {
                method(b, m, forward(m));
            }
        }
        return b.append("}\n").toString();
    }

    private static String callableWrapper() {
        StringBuilder b = header("CallableStatement",
                "CallableStatementWrapper extends LogicalPreparedStatement<java.sql.CallableStatement>",
                "java.sql.CallableStatement",
                "The methods {@link java.sql.CallableStatement} adds, for {@link LogicalCallableStatement}: all go to\n"
                        + " * the physical statement (a call is never run again, so nothing is recorded).");
        b.append("    CallableStatementWrapper(LogicalConnection conn, String sql, Factory<java.sql.CallableStatement> factory)\n"
                + "            throws java.sql.SQLException {\n        super(conn, sql, factory);\n    }\n");
        for (Method m : methods(CallableStatement.class, false)) {
            method(b, m, forward(m));
        }
        return b.append("}\n").toString();
    }

    private static String connectionWrapper() {
        List<Method> methods = filter(methods(Connection.class, true), m -> !m.isDefault());
        List<Method> setters = filter(methods, m -> SESSION.contains(key(m)));
        StringBuilder b = header("Connection", "ConnectionWrapper", "java.sql.Connection",
                "The {@link java.sql.Connection} methods of {@link LogicalConnection} that follow a rule: session\n"
                        + " * properties go to {@code session}, statements are created as logical statements, the rest goes to\n"
                        + " * the bound physical connection.");
        constants(b, "the session properties, applied by {@link #applySession}", setters, new int[] {0});
        b.append("    /** How many session properties there are. */\n    static final int SESSION_PROPERTIES = ")
                .append(setters.size()).append(";\n\n");
        b.append("    /** The bound physical connection, binding one if needed. */\n"
                + "    abstract java.sql.Connection physical() throws java.sql.SQLException;\n\n"
                + "    /** The bound physical connection, or {@code null}; never binds. */\n"
                + "    abstract java.sql.Connection boundPhysical();\n\n"
                + "    /** Fails with 08003 once closed. */\n"
                + "    abstract void checkOpen() throws java.sql.SQLException;\n\n"
                + "    /** The session properties: recorded here, applied at every binding. */\n"
                + "    abstract SessionSettings session();\n\n");
        apply(b, "Sets session property {@code op} on {@code c}.",
                "applySession(java.sql.Connection c, int op, long bits, Object value)\n"
                        + "            throws java.sql.SQLException {", "session property", setters,
                m -> Arrays.stream(m.getParameterTypes()).map(t -> fromSlot(t, t.isPrimitive() ? "bits" : "value"))
                        .collect(Collectors.joining(", ", "c." + m.getName() + "(", ")")));
        for (Method m : methods) {
            if (CONNECTION_HAND_WRITTEN.contains(key(m))) {
                continue;
            }
            Method setter = setterOf(m, setters);
            if (setters.contains(m)) {
                String bits = "0";
                String value = "null";
                Class<?>[] types = m.getParameterTypes();
                for (int i = 0; i < types.length; i++) {
                    if (types[i].isPrimitive()) {
                        bits = "a" + (i + 1);
                    } else {
                        value = "a" + (i + 1);
                    }
                }
                method(b, m, "checkOpen();\n        session().set(boundPhysical(), " + constant(m) + ", " + bits + ", " + value + ");");
            } else if (setter != null) {
                String slot = m.getReturnType().isPrimitive() ? "session().bits(" + constant(setter) + ")"
                        : "session().value(" + constant(setter) + ")";
                String cast = m.getReturnType().isPrimitive() ? "(" + m.getReturnType().getName() + ") "
                        : "(" + type(m.getGenericReturnType()) + ") ";
                method(b, m, "checkOpen();\n        return session().isSet(" + constant(setter) + ") ? " + cast + slot
                        + " : physical()." + m.getName() + "();");
            } else if (Statement.class.isAssignableFrom(m.getReturnType())) {
                String logical = m.getReturnType() == CallableStatement.class ? "LogicalCallableStatement"
                        : m.getReturnType() == PreparedStatement.class ? "LogicalPreparedStatement<>"
                        : "LogicalStatement<>";
                // the SQL travels in the statement, and the usual forms (no argument but the SQL) need no factory
                // at all (LogicalStatement.createUsual): the statement keeps one only for the other forms
                boolean hasSql = m.getParameterCount() > 0 && m.getParameterTypes()[0] == String.class;
                StringBuilder args = new StringBuilder(hasSql ? "sql" : "");
                for (int i = hasSql ? 1 : 0; i < m.getParameterCount(); i++) {
                    args.append(i == 0 ? "" : ", ").append('a').append(i + 1);
                }
                boolean usual = m.getParameterCount() == (hasSql ? 1 : 0);
                method(b, m, "checkOpen();\n        return new " + logical + "((LogicalConnection) this, "
                        + (hasSql ? "a1" : "null") + ", "
                        + (usual ? "null" : "(c, sql) -> c." + m.getName() + "(" + args + ")") + ");");
            } else {
                method(b, m, forward(m).replace("delegate.", "physical()."));
            }
        }
        return b.append("}\n").toString();
    }

    /** The session property setter a getter reads, or {@code null}. */
    private static Method setterOf(Method getter, List<Method> setters) {
        if (!getter.getName().startsWith("get") || getter.getParameterCount() != 0) {
            return null;
        }
        String name = "set" + getter.getName().substring(3);
        for (Method s : setters) {
            if (s.getName().equals(name)) {
                return s;
            }
        }
        return null;
    }

    // ---- pieces ------------------------------------------------------------------------------------------------

    private static StringBuilder header(String iface, String declaration, String implemented, String doc) {
        StringBuilder b = new StringBuilder();
        b.append("// GENERATED from java.sql.").append(iface).append(" by ").append(SOURCE)
                .append(" in the driver's generate-sources phase.\n// Do not edit: change the generator; "
                        + "this file is rewritten at every build and never checked in.\n");
        b.append("package ").append(PACKAGE).append(";\n\n/**\n * ").append(doc)
                .append("\n *\n * <p>Generated by {@code JdbcWrapperGenerator}: do not edit.")
                .append("\n *\n * <p>Not thread-safe, like "
                + "any JDBC " + (iface.equals("Connection") ? "connection" : "statement") + ".\n");
        if (declaration.contains("<S")) {
            b.append(" *\n * @param <S> the physical statement type\n");
        }
        b.append(" */\n@SuppressWarnings({\"deprecation\", \"unchecked\", \"rawtypes\"})\nabstract class ").append(declaration).append(" implements ")
                .append(implemented).append(" {\n");
        return b;
    }

    private static void constants(StringBuilder b, String what, List<Method> methods, int[] next) {
        b.append("    // op codes of ").append(what).append('\n');
        for (Method m : methods) {
            b.append("    static final int ").append(constant(m)).append(" = ").append(next[0]++).append(";\n");
        }
        b.append('\n');
    }

    /**
     * A static method that calls the method of op code {@code op} on its target: {@code header} runs from the name to
     * the opening brace, {@code call} writes one case's call.
     */
    private static void apply(StringBuilder b, String doc, String header, String what, List<Method> ops,
            java.util.function.Function<Method, String> call) {
        b.append("    /** ").append(doc).append(" */\n    static void ").append(header)
                .append("\n        switch (op) {\n");
        for (Method m : ops) {
            b.append("            case ").append(constant(m)).append(":\n                ").append(call.apply(m))
                    .append(";\n                break;\n");
        }
        b.append("            default:\n                throw new IllegalArgumentException(\"").append(what)
                .append(" \" + op);\n        }\n    }\n");
    }

    private static void dispatch(StringBuilder b, List<Method> executes, boolean override) {
        b.append("    /**\n     * Calls execute method {@code op} on the physical statement and returns its result, a primitive boxed\n"
                + "     * ({@code valueOf}: no allocation for booleans and for counts from -128 to 127, none at all once the JIT\n"
                + "     * has inlined the caller).\n     */\n");
        if (override) {
            b.append("    @Override\n");
        }
        b.append("    Object call(int op, String sql, int n, Object columns) throws java.sql.SQLException {\n"
                + "        switch (op) {\n");
        for (Method m : executes) {
            b.append("            case ").append(constant(m)).append(":\n                ");
            b.append("return delegate.").append(m.getName()).append("(").append(executeArgs(m, true)).append(");\n");
        }
        b.append("            default:\n                ");
        b.append(override ? "return super.call(op, sql, n, columns);\n"
                : "throw new IllegalArgumentException(\"execute \" + op);\n");
        b.append("        }\n    }\n\n");
    }

    private static String executeBody(Method m) {
        Class<?> r = m.getReturnType();
        String type = r == boolean.class ? "Boolean" : r == int.class ? "Integer" : r == long.class ? "Long"
                : r.getCanonicalName();
        return "return (" + type + ") run(" + constant(m) + ", " + executeArgs(m, false) + ");";
    }

    /** The arguments of an execute method as the funnel carries them (sql, n, columns), or as the call takes them. */
    private static String executeArgs(Method m, boolean forCall) {
        String sql = "null";
        String n = "0";
        String columns = "null";
        List<String> call = new ArrayList<>();
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            if (types[i] == String.class) {
                sql = "a" + (i + 1);
                call.add("sql");
            } else if (types[i] == int.class) {
                n = "a" + (i + 1);
                call.add("n");
            } else {
                columns = "a" + (i + 1);
                call.add("(" + types[i].getCanonicalName() + ") columns");
            }
        }
        return forCall ? String.join(", ", call) : sql + ", " + n + ", " + columns;
    }

    /** Which slot each parameter of a setter travels in: the value's primitive bits or object, then extras. */
    private static String[] slots(Method m) {
        Class<?>[] types = m.getParameterTypes();
        String[] slots = new String[types.length];
        slots[0] = "index";
        List<String> used = new ArrayList<>();
        for (int i = 1; i < types.length; i++) {
            String s;
            if (i == 1) {
                s = types[i].isPrimitive() ? "bits" : "value";
            } else if (!types[i].isPrimitive()) {
                s = "extra";
            } else if (types[i] == long.class) {
                s = "bits";
            } else {
                s = used.contains("a") ? "b" : "a";
            }
            if (used.contains(s)) {
                throw new IllegalStateException("two arguments of " + m + " in slot " + s);
            }
            used.add(s);
            slots[i] = s;
        }
        return slots;
    }

    /**
     * How a primitive that is not a whole number travels in a long slot and back ({@code %s} is the argument or the
     * slot); other primitives travel as they are.
     */
    private static final Map<Class<?>, String[]> BITS = Map.of(
            boolean.class, new String[] {"%s ? 1L : 0L", "%s != 0"},
            float.class, new String[] {"Float.floatToRawIntBits(%s)", "Float.intBitsToFloat((int) %s)"},
            double.class, new String[] {"Double.doubleToRawLongBits(%s)", "Double.longBitsToDouble(%s)"});

    private static String toBits(Class<?> t, String arg) {
        String[] forms = BITS.get(t);
        return forms == null ? arg : String.format(forms[0], arg);
    }

    private static String fromSlot(Class<?> t, String slot) {
        String[] forms = BITS.get(t);
        if (forms != null) {
            return String.format(forms[1], slot);
        }
        if (t == long.class || t == Object.class || (t == int.class && !slot.equals("bits"))) {
            return slot;
        }
        return "(" + t.getCanonicalName() + ") " + slot;
    }

    private static void method(StringBuilder b, Method m, String body) {
        b.append('\n');
        if (m.isAnnotationPresent(Deprecated.class)) {
            b.append("    @Deprecated\n");
        }
        b.append("    @Override\n    public ");
        TypeVariable<Method>[] vars = m.getTypeParameters();
        if (vars.length > 0) {
            b.append(Arrays.stream(vars).map(TypeVariable::getName).collect(Collectors.joining(", ", "<", "> ")));
        }
        b.append(type(m.getGenericReturnType())).append(' ').append(m.getName()).append('(');
        Type[] params = m.getGenericParameterTypes();
        for (int i = 0; i < params.length; i++) {
            b.append(i == 0 ? "" : ", ").append(type(params[i])).append(" a").append(i + 1);
        }
        b.append(") throws java.sql.SQLException {\n        ").append(body).append("\n    }\n");
    }

    private static String forward(Method m) {
        StringBuilder call = new StringBuilder("delegate.").append(m.getName()).append('(');
        for (int i = 0; i < m.getParameterCount(); i++) {
            call.append(i == 0 ? "" : ", ").append('a').append(i + 1);
        }
        call.append(");");
        return (m.getReturnType() == void.class ? "" : "return ") + call;
    }

    private static String type(Type t) {
        return t.getTypeName().replace("java.lang.", "");
    }

    private static boolean isExecute(Method m) {
        return m.getName().startsWith("execute");
    }

    private static boolean isParam(Method m) {
        return m.getName().startsWith("set") && m.getParameterCount() >= 2 && m.getParameterTypes()[0] == int.class;
    }

    /** The interface's methods to implement, in a stable order: its own, or with those it inherits. */
    private static List<Method> methods(Class<?> iface, boolean inherited) {
        Method[] all = inherited ? iface.getMethods() : iface.getDeclaredMethods();
        Map<String, Method> unique = new LinkedHashMap<>();
        for (Method m : all) {
            if (!Modifier.isStatic(m.getModifiers())) {
                unique.putIfAbsent(key(m), m);
            }
        }
        List<Method> list = new ArrayList<>(unique.values());
        list.sort(Comparator.comparing(JdbcWrapperGenerator::key));
        return list;
    }

    private static List<Method> filter(List<Method> methods, java.util.function.Predicate<Method> p) {
        return methods.stream().filter(p).collect(Collectors.toList());
    }

    private static String key(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    /** A constant's name: the method's name and parameter types in upper snake case. */
    private static String constant(Method m) {
        String name = m.getName().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase();
        String params = Arrays.stream(m.getParameterTypes()).map(c -> c.getSimpleName().replace("[]", "S")
                .replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase()).collect(Collectors.joining("_"));
        return params.isEmpty() ? name : name + "__" + params;
    }
}
