package io.cordon.stage.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cordon.api.CordonException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IdentityTest {
    static final String PASSWD = """
            root:x:0:0:root:/root:/bin/bash
            # a comment
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            +nisuser::::::
            broken:x:notanumber:1::/:/bin/sh
            alice:x:1000:1000:Alice:/home/alice:/bin/bash
            bob:x:1001:100::/home/bob:/bin/sh
            """;
    static final String GROUP = """
            root:x:0:
            daemon:x:1:
            users:x:100:alice
            audio:x:29:alice,bob
            alice:x:1000:
            staff:x:50:
            video:x:44: bob
            """;
    static final UserDatabase DB = UserDatabase.parse(Optional.of(PASSWD), Optional.of(GROUP));

    static Identity resolve(String user, String... groupAdd) {
        return Identity.resolve(Optional.ofNullable(user), List.of(groupAdd), DB);
    }

    @Test
    void parsesLenientlyLikeLibc() {
        assertEquals(List.of("root", "daemon", "alice", "bob"), DB.users().stream().map(UserDatabase.User::name)
                .toList());
        assertEquals(List.of(100, 29), DB.memberships("alice"));
        assertEquals(List.of(29, 44), DB.memberships("bob"));
    }

    @Test
    void noUserIsRootWithRootsGroups() {
        assertEquals(new Identity(0, 0, List.of()), resolve(null));
        UserDatabase rootInGroups = UserDatabase.parse(Optional.of(PASSWD), Optional.of("root:x:0:\nwheel:x:10:root\n"));
        assertEquals(new Identity(0, 0, List.of(10)), Identity.resolve(Optional.empty(), List.of(), rootInGroups));
    }

    @Test
    void numericUidAndGid() {
        assertEquals(new Identity(1000, 1000, List.of()), resolve("1000:1000"),
                "an explicit group means no supplementary groups from /etc/group (as runc)");
        assertEquals(new Identity(4242, 4343, List.of()), resolve("4242:4343"));
    }

    @Test
    void numericUidFoundInPasswdBringsItsGidAndGroups() {
        assertEquals(new Identity(1000, 1000, List.of(100, 29)), resolve("1000"));
    }

    @Test
    void numericUidNotInPasswdGetsGidZero() {
        assertEquals(new Identity(4242, 0, List.of()), resolve("4242"));
    }

    @Test
    void names() {
        assertEquals(new Identity(1000, 1000, List.of(100, 29)), resolve("alice"));
        assertEquals(new Identity(1001, 50, List.of()), resolve("bob:staff"));
        assertEquals(new Identity(1001, 7, List.of()), resolve("bob:7"));
        assertEquals(new Identity(0, 100, List.of()), resolve(":users"));
        assertEquals(new Identity(0, 0, List.of()), resolve("root"));
    }

    @Test
    void groupAddByNameOrNumberWithoutDuplicates() {
        assertEquals(new Identity(1000, 1000, List.of(100, 29, 50, 777)), resolve("alice", "staff", "777", "audio"));
        assertEquals(new Identity(0, 0, List.of(44)), resolve(null, "video"));
    }

    @Test
    void errorsAreOneLine() {
        assertError("--user nosuchuser: no user 'nosuchuser' in the container's /etc/passwd; give a name that is"
                + " there, or a numeric uid", () -> resolve("nosuchuser"));
        assertError("--user alice:nogroup: no group 'nogroup' in the container's /etc/group; give a name that is"
                + " there, or a numeric gid", () -> resolve("alice:nogroup"));
        assertError("--group-add wheel: no group 'wheel' in the container's /etc/group; give a name that is there,"
                + " or a numeric gid", () -> resolve(null, "wheel"));
        assertError("--user 99999999999: ids must be in 0..2147483647, got 99999999999", () -> resolve("99999999999"));
        assertError("--user 1:2147483648: ids must be in 0..2147483647, got 2147483648",
                () -> resolve("1:2147483648"));
        assertError("--user alice:: the group after ':' is empty; give a name or a gid", () -> resolve("alice:"));
        UserDatabase none = UserDatabase.parse(Optional.empty(), Optional.empty());
        assertError("--user app: no user 'app' in the container's /etc/passwd (it has none); give a name that is"
                + " there, or a numeric uid", () -> Identity.resolve(Optional.of("app"), List.of(), none));
        assertEquals(new Identity(5, 6, List.of(7)), Identity.resolve(Optional.of("5:6"), List.of("7"), none));
    }

    static void assertError(String message, org.junit.jupiter.api.function.Executable e) {
        CordonException ex = assertThrows(CordonException.class, e);
        assertEquals(message, ex.getMessage());
        assertEquals(125, ex.exitCode());
        assertFalse(ex.getMessage().contains("\n"));
    }
}
