package io.cordon.stage.apparmor;

import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** cordon's default AppArmor profile, rendered from the template resource in this bundle. */
final class DefaultProfile {
    static final String TEMPLATE = "cordon-default.profile.in";
    static final String NAME_PLACEHOLDER = "{{name}}";

    private DefaultProfile() {
    }

    /**
     * The profile text with {@code name} as the profile's name and its peer in signal and ptrace rules. The name
     * is spliced into policy source, so only a plain identifier is taken.
     */
    static String render(String name) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("not a plain profile name: " + name);
        }
        String text = template().replace(NAME_PLACEHOLDER, name);
        if (text.contains("{{")) {
            throw new IllegalStateException(TEMPLATE + " has a placeholder other than " + NAME_PLACEHOLDER);
        }
        return text;
    }

    static String template() {
        try (InputStream in = DefaultProfile.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new CordonException("the apparmor stage bundle lacks " + TEMPLATE + " (a broken build?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CordonException("cannot read " + TEMPLATE + " from the apparmor stage bundle: " + e.getMessage());
        }
    }
}
