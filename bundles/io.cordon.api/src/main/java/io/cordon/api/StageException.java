package io.cordon.api;

/** A stage failed during a launch; the message names the stage and the step. */
public class StageException extends CordonException {
    private static final long serialVersionUID = 1L;
    private final String stage;

    public StageException(String stage, String step, Throwable cause) {
        super("stage " + stage + " failed in " + step + ": " + oneLine(cause), 125, cause);
        this.stage = stage;
    }

    public String stage() {
        return stage;
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }
}
