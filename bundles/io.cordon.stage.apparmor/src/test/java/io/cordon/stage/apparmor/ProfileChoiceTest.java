package io.cordon.stage.apparmor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.CapabilityRequest;
import io.cordon.api.ContainerSpec;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProfileChoiceTest {

    static ContainerSpec spec(String... securityOpts) {
        return ContainerSpec.builder().command("true").securityOpts(List.of(securityOpts)).build();
    }

    static ProfileChoice choice(String... securityOpts) {
        return ProfileChoice.of(spec(securityOpts), AppArmorStage.DEFAULT_PROFILE);
    }

    @Test
    void nothingAskedMeansTheDefaultProfile() {
        ProfileChoice c = choice();
        assertEquals(ProfileChoice.Kind.DEFAULT, c.kind());
        assertEquals(Optional.of("cordon-default"), c.label());
        assertEquals(ProfileChoice.Kind.DEFAULT, choice("seccomp=unconfined", "no-new-privileges").kind(),
                "other --security-opt kinds are not ours");
    }

    @Test
    void aNamedProfileInEitherForm() {
        assertEquals(new ProfileChoice(ProfileChoice.Kind.NAMED, "my-app", "--security-opt apparmor=my-app"),
                choice("apparmor=my-app"));
        assertEquals(new ProfileChoice(ProfileChoice.Kind.NAMED, "my-app", "--security-opt apparmor:my-app"),
                choice("apparmor:my-app"));
        assertEquals(Optional.of("/usr/bin/foo//child"), choice("apparmor=/usr/bin/foo//child").label(),
                "path-named profiles and child profiles are names too");
        assertEquals(Optional.of("a=b:c"), choice("apparmor=a=b:c").label(), "only the first separator splits");
    }

    @Test
    void theDefaultByNameIsTheDefault() {
        ProfileChoice c = choice("apparmor=cordon-default");
        assertEquals(ProfileChoice.Kind.DEFAULT, c.kind(),
                "so it is loaded when missing, like Docker's docker-default");
        assertEquals(Optional.of("cordon-default"), c.label());
    }

    @Test
    void unconfinedAsksForNoLabel() {
        ProfileChoice c = choice("apparmor=unconfined");
        assertEquals(ProfileChoice.Kind.UNCONFINED, c.kind());
        assertEquals(Optional.empty(), c.label());
        assertEquals(ProfileChoice.Kind.UNCONFINED, choice("apparmor:unconfined").kind());
    }

    @Test
    void privilegedKeepsTheDefaultProfile() {
        // As the seccomp stage keeps its filter: cordon never loosens a confinement nobody asked to loosen.
        ContainerSpec privileged = ContainerSpec.builder().command("true")
                .capabilities(CapabilityRequest.parse(true, List.of(), List.of())).build();
        assertEquals(ProfileChoice.Kind.DEFAULT, ProfileChoice.of(privileged, AppArmorStage.DEFAULT_PROFILE).kind());
    }

    @Test
    void theLastValueWins() {
        assertEquals(ProfileChoice.Kind.UNCONFINED, choice("apparmor=a", "seccomp=unconfined", "apparmor=unconfined")
                .kind());
        assertEquals(Optional.of("b"), choice("apparmor=unconfined", "apparmor=a", "apparmor:b").label());
        assertEquals(ProfileChoice.Kind.DEFAULT, choice("apparmor=a", "apparmor=cordon-default").kind());
    }

    @Test
    void theRequirementKeyIsWhatTheSpecAsksFor() {
        assertTrue(spec("apparmor=x").requirements().containsKey(AppArmorStage.REQUIREMENT));
        assertTrue(spec("apparmor:x").requirements().containsKey(AppArmorStage.REQUIREMENT));
        assertEquals(java.util.Set.of(AppArmorStage.REQUIREMENT),
                new AppArmorStage(new AppArmorHost(java.nio.file.Path.of("/nonexistent")), null).handles());
    }
}
