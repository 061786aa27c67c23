package io.cordon.stage.seccomp;

import io.cordon.api.CordonException;

/** A profile cordon cannot use; the one-line message names the profile and the field. */
public class ProfileException extends CordonException {
    private static final long serialVersionUID = 1L;

    public ProfileException(String message) {
        super(message);
    }
}
