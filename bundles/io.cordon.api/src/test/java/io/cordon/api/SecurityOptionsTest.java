package io.cordon.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecurityOptionsTest {

    static SecurityOptions parse(String... values) {
        return SecurityOptions.parse(List.of(values));
    }

    static String error(String... values) {
        CordonException e = assertThrows(CordonException.class, () -> parse(values), List.of(values).toString());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertEquals(125, e.exitCode());
        return e.getMessage();
    }

    @Test
    void nothingAskedIsNone() {
        assertEquals(SecurityOptions.NONE, parse());
        assertFalse(SecurityOptions.NONE.noNewPrivileges().asked());
        assertFalse(SecurityOptions.NONE.seccomp().asked());
        assertFalse(SecurityOptions.NONE.appArmor().asked());
        assertFalse(SecurityOptions.NONE.selinuxLabel().asked());
    }

    @ParameterizedTest
    @ValueSource(strings = {"no-new-privileges", "no-new-privileges=true", "no-new-privileges:true",
        "no-new-privileges=1", "no-new-privileges=t", "no-new-privileges=TRUE", "no-new-privileges=True"})
    void noNewPrivilegesOnInEverySpellingDockerTakes(String v) {
        assertEquals(NoNewPrivileges.asked(true, "--security-opt " + v), parse(v).noNewPrivileges());
    }

    @ParameterizedTest
    @ValueSource(strings = {"no-new-privileges=false", "no-new-privileges:false", "no-new-privileges=0",
        "no-new-privileges=f", "no-new-privileges=FALSE", "no-new-privileges:False"})
    void noNewPrivilegesOffIsStillAsked(String v) {
        NoNewPrivileges n = parse(v).noNewPrivileges();
        assertFalse(n.on(), v);
        assertTrue(n.asked(), "an explicit false is a requirement too: " + v);
    }

    @Test
    void theLastNoNewPrivilegesWins() {
        assertFalse(parse("no-new-privileges", "no-new-privileges:false").noNewPrivileges().on());
        assertTrue(parse("no-new-privileges:false", "no-new-privileges").noNewPrivileges().on());
        assertEquals(Optional.of("--security-opt no-new-privileges:false"),
                parse("no-new-privileges=true", "seccomp=unconfined", "no-new-privileges:false").noNewPrivileges()
                        .source(), "the source is the value that decided");
    }

    @Test
    void seccompSpellingsAndTheLastWins() {
        assertEquals(SeccompProfile.unconfined("--security-opt seccomp=unconfined"),
                parse("seccomp=unconfined").seccomp());
        assertEquals(SeccompProfile.Kind.UNCONFINED, parse("seccomp:unconfined").seccomp().kind());
        assertEquals(SeccompProfile.defaultProfile("--security-opt seccomp=builtin"),
                parse("seccomp=unconfined", "seccomp=builtin").seccomp());
        assertEquals(SeccompProfile.file(Path.of("/etc/p.json"), "--security-opt seccomp:/etc/p.json"),
                parse("seccomp=unconfined", "seccomp:/etc/p.json").seccomp());
        assertEquals(Optional.of(Path.of("p.json").toAbsolutePath()), parse("seccomp=p.json").seccomp().file(),
                "a relative path is taken from the working directory of whoever builds the spec");
    }

    @Test
    void appArmorSpellingsAndTheLastWins() {
        assertEquals(AppArmorProfile.named("my-app", "--security-opt apparmor=my-app"),
                parse("apparmor=my-app").appArmor());
        assertEquals(AppArmorProfile.named("my-app", "--security-opt apparmor:my-app"),
                parse("apparmor:my-app").appArmor());
        assertEquals(Optional.of("a=b:c"), parse("apparmor=a=b:c").appArmor().name(), "only the first '=' splits");
        assertEquals(Optional.of("/usr/bin/foo//child"), parse("apparmor=/usr/bin/foo//child").appArmor().name());
        assertEquals(AppArmorProfile.Kind.UNCONFINED, parse("apparmor=a", "apparmor:unconfined").appArmor().kind());
        assertEquals(Optional.of("b"), parse("apparmor=unconfined", "apparmor=a", "apparmor:b").appArmor().name());
    }

    @Test
    void eachLabelPartIsLastWinsOnItsOwn() {
        SelinuxLabel l = parse("label=type:a_t", "label=level:s0:c1,c2", "seccomp=unconfined", "label:type:b_t",
                "label=user:staff_u", "no-new-privileges", "label=level:s0:c3,c4").selinuxLabel();
        assertEquals(Optional.of("b_t"), l.type());
        assertEquals(Optional.of("s0:c3,c4"), l.level());
        assertEquals(Optional.of("staff_u"), l.user(), "an earlier part survives a later value of another part");
        assertEquals(Optional.empty(), l.role());
        assertFalse(l.disabled());
        assertEquals(List.of("--security-opt label=type:a_t", "--security-opt label=level:s0:c1,c2",
                "--security-opt label:type:b_t", "--security-opt label=user:staff_u",
                "--security-opt label=level:s0:c3,c4"), l.sources(), "only the label values");
        assertEquals(Optional.of("s0-s0:c0,c5.c9"), parse("label=level:s0-s0:c0,c5.c9").selinuxLabel().level());
        assertEquals(Optional.of("x_file_t"), parse("label=filetype:x_file_t").selinuxLabel().filetype());
    }

    @Test
    void labelDisableAnywhereTurnsLabellingOffAsInDocker() {
        for (List<String> values : List.of(List.of("label=disable"), List.of("label:disable"),
                List.of("label=type:a_t", "label=disable"), List.of("label=disable", "label=type:a_t"))) {
            SelinuxLabel l = SecurityOptions.parse(values).selinuxLabel();
            assertTrue(l.disabled(), values.toString());
            assertTrue(l.asked(), values.toString());
        }
        assertFalse(parse("label=disable").selinuxLabel().anyPart());
    }

    @Test
    void otherOptionsLeaveEachOtherAlone() {
        SecurityOptions o = parse("apparmor=unconfined", "no-new-privileges");
        assertEquals(SeccompProfile.NOT_ASKED, o.seccomp());
        assertEquals(SelinuxLabel.NOT_ASKED, o.selinuxLabel());
    }

    @Test
    void badNoNewPrivileges() {
        assertEquals("--security-opt no-new-privileges=maybe: expected no-new-privileges, no-new-privileges=true"
                + " or no-new-privileges=false", error("no-new-privileges=maybe"));
        error("no-new-privileges=");
        error("no-new-privileges:yes");
    }

    @Test
    void badSeccomp() {
        assertEquals("--security-opt seccomp=: expected seccomp=PATH (a JSON profile), seccomp=unconfined or"
                + " seccomp=builtin", error("seccomp="));
        error("seccomp");
        error("seccomp:");
    }

    @Test
    void badAppArmor() {
        assertEquals("--security-opt apparmor=: give a profile name, apparmor=PROFILE (a profile loaded into the"
                + " kernel), or apparmor=unconfined", error("apparmor="));
        error("apparmor");
        error("apparmor:");
        for (String bad : new String[] {"apparmor=my app", "apparmor=my\tapp", "apparmor=app\n", "apparmor=a\u0000b",
                "apparmor=a\u007fb", "apparmor=a\u00a0b", "apparmor=a\u2028b", "apparmor= app"}) {
            String m = error(bad);
            assertTrue(m.endsWith(": an AppArmor profile name has no spaces or control characters; give the name"
                    + " as /sys/kernel/security/apparmor/profiles lists it"), m);
            assertFalse(m.contains("\u0000"), m);
        }
        assertTrue(error("apparmor=app\n").startsWith("--security-opt apparmor=app\\n: "));
        assertTrue(error("apparmor=" + "x".repeat(1025)).contains("longer than 1024 bytes"));
        assertEquals(Optional.of("x".repeat(1024)), parse("apparmor=" + "x".repeat(1024)).appArmor().name());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '#', quoteCharacter = '`', value = {
        "label#--security-opt label: expected label=KEY:VALUE with KEY one of user, role, type, level or filetype"
                + " (e.g. label=type:container_t), or label=disable",
        "label=#--security-opt label=: expected label=KEY:VALUE with KEY one of user, role, type, level or filetype"
                + " (e.g. label=type:container_t), or label=disable",
        "label=type#--security-opt label=type: expected label=KEY:VALUE with KEY one of user, role, type, level or"
                + " filetype (e.g. label=type:container_t), or label=disable",
        "label=type=container_t#--security-opt label=type=container_t: expected label=KEY:VALUE with KEY one of"
                + " user, role, type, level or filetype (e.g. label=type:container_t), or label=disable",
        "label=kind:x#--security-opt label=kind:x: unknown label option 'kind'; use user, role, type, level or"
                + " filetype followed by ':' and a value, or label=disable",
        "label=type:#--security-opt label=type:: type needs a value, e.g. label=type:container_t",
        "label=level:#--security-opt label=level:: level needs a value, e.g. label=level:s0:c1,c2",
        "label=type:a b_t#--security-opt label=type:a b_t: 'a b_t' is not an SELinux type (letters, digits, '_',"
                + " '.' and '-')",
        "label=type:x\"_t#--security-opt label=type:x\"_t: 'x\"_t' is not an SELinux type (letters, digits, '_',"
                + " '.' and '-')",
        "label=level:s0 c1#--security-opt label=level:s0 c1: 's0 c1' is not an SELinux level (e.g. s0 or"
                + " s0:c1,c2)",
        "selinux=type:x_t#--security-opt selinux=type:x_t: SELinux options are written label=KEY:VALUE, e.g."
                + " --security-opt label=type:container_t",
        "disable#--security-opt disable: unknown option 'disable'; cordon takes seccomp=PROFILE.json|unconfined,"
                + " apparmor=PROFILE|unconfined, label=KEY:VALUE|disable and no-new-privileges[=true|false]",
        "apparmor:a=b#--security-opt apparmor:a=b: unknown option 'apparmor:a'; cordon takes"
                + " seccomp=PROFILE.json|unconfined, apparmor=PROFILE|unconfined, label=KEY:VALUE|disable and"
                + " no-new-privileges[=true|false]"})
    void badFormsAreOneLineErrorsSayingWhatIsAccepted(String value, String message) {
        assertEquals(message, error(value));
    }

    @Test
    void aBadValueIsRefusedEvenIfALaterOneOverridesIt() {
        error("apparmor=a b", "apparmor=good");
        error("no-new-privileges=maybe", "no-new-privileges");
        error("label=type:a b", "label=type:b_t");
        error("label=disable", "label=kind:x");
    }

    @Test
    void theSpecAsksForEachOptionUnderItsRequirementKey() {
        ContainerSpec spec = ContainerSpec.builder().command("true").securityOpts(List.of("no-new-privileges:false",
                "seccomp=unconfined", "apparmor=x", "label=type:x_t", "label=disable")).build();
        Map<String, String> req = spec.requirements();
        assertEquals("--security-opt no-new-privileges:false", req.get(ContainerSpec.REQ_NO_NEW_PRIVILEGES));
        assertEquals("--security-opt seccomp=unconfined", req.get(ContainerSpec.REQ_SECCOMP));
        assertEquals("--security-opt apparmor=x", req.get(ContainerSpec.REQ_APPARMOR));
        assertEquals("--security-opt label=type:x_t", req.get(ContainerSpec.REQ_SELINUX));
        assertEquals(Map.of(), ContainerSpec.builder().command("true").build().requirements());
    }

    @Test
    void theSpecBuilderRefusesMalformedValuesAndTheTypedKeysAsSettings() {
        CordonException e = assertThrows(CordonException.class,
                () -> ContainerSpec.builder().securityOpts(List.of("seccomp=")));
        assertTrue(e.getMessage().startsWith("--security-opt seccomp=: expected"), e.getMessage());
        for (String key : List.of("security-opt", "cap-add", "cap-drop", "privileged")) {
            assertThrows(IllegalArgumentException.class, () -> ContainerSpec.builder().setting(key, "x"), key);
        }
    }

    @Test
    void typedSettersFillTheSameFields() {
        ContainerSpec spec = ContainerSpec.builder().command("true")
                .noNewPrivileges(NoNewPrivileges.asked(true, "process.noNewPrivileges"))
                .seccomp(SeccompProfile.unconfined("linux.seccomp")).build();
        assertTrue(spec.noNewPrivileges().on());
        assertEquals("process.noNewPrivileges", spec.requirements().get(ContainerSpec.REQ_NO_NEW_PRIVILEGES));
        assertEquals(SeccompProfile.Kind.UNCONFINED, spec.seccomp().kind());
        assertEquals(AppArmorProfile.NOT_ASKED, spec.appArmor());
    }
}
