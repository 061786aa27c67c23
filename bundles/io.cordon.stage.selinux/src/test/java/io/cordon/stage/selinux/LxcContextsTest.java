package io.cordon.stage.selinux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cordon.api.CordonException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LxcContextsTest {

    @Test
    void debiansFile() {
        LxcContexts lxc = LxcContexts.parse("/etc/selinux/default/contexts/lxc_contexts",
                FakeSelinux.DEBIAN_LXC_CONTEXTS);
        assertEquals("system_u:system_r:container_t:s0", lxc.process().orElseThrow().toString());
        assertEquals("system_u:object_r:container_file_t:s0", lxc.file().orElseThrow().toString());
    }

    @Test
    void commentsBlankLinesAndUnquotedValues() {
        LxcContexts lxc = LxcContexts.parse("f", "# the container domain\n\n  process=u:r:t:s0  \nnonsense\n");
        assertEquals("u:r:t:s0", lxc.process().orElseThrow().toString());
        assertEquals(Optional.empty(), lxc.file());
    }

    @Test
    void aMalformedEntryIsAnErrorNamingTheFile() {
        LxcContexts lxc = LxcContexts.parse("/etc/selinux/x/contexts/lxc_contexts", "process = \"container_t\"\n");
        CordonException e = assertThrows(CordonException.class, lxc::process);
        assertEquals("/etc/selinux/x/contexts/lxc_contexts: the process entry 'container_t' is not an SELinux"
                + " context (user:role:type[:level]); fix the file or ask for a label with"
                + " --security-opt label=type:TYPE", e.getMessage());
    }
}
