package io.cordon.api.plan;

import java.util.Arrays;

/** One argument of a {@link Op.Syscall}. */
public sealed interface SyscallArg {

    record Immediate(long value) implements SyscallArg {
        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    /** A pointer to a writable copy of these bytes. */
    record Buffer(byte[] bytes) implements SyscallArg {
        @Override
        public boolean equals(Object o) {
            return o instanceof Buffer b && Arrays.equals(b.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "buf[" + bytes.length + "]";
        }
    }

    /** A pointer to a NUL-terminated copy of this string. */
    record Str(String value) implements SyscallArg {
        @Override
        public String toString() {
            return '"' + value + '"';
        }
    }

    /** The return value of the earlier syscall op at this index in the plan. */
    record ResultOf(int opIndex) implements SyscallArg {
        @Override
        public String toString() {
            return "result(op " + opIndex + ")";
        }
    }
}
