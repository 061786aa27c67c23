package io.cordon.stage.user;

import io.cordon.api.CordonException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The uid, gid and supplementary groups the container's process runs with, resolved
 * as runc does for Docker: {@code --user} is {@code user[:group]}, each part a name or
 * a number; a name must exist in the container's /etc/passwd or /etc/group, a number
 * need not. Without {@code --user} the process is uid 0. A user found in /etc/passwd
 * brings its primary gid, and, unless a group was given explicitly, the groups that
 * list it as a member; a numeric uid not in /etc/passwd gets gid 0 and no groups.
 * {@code --group-add} groups are added to the supplementary list.
 */
record Identity(int uid, int gid, List<Integer> groups) {
    /** Ids are 0..2^31-1, as runc accepts them. */
    static final long MAX_ID = Integer.MAX_VALUE;

    Identity {
        groups = List.copyOf(groups);
    }

    static Identity resolve(Optional<String> user, List<String> groupAdd, UserDatabase db) {
        String spec = user.orElse("");
        int colon = spec.indexOf(':');
        String given = colon < 0 ? spec : spec.substring(0, colon);
        String userPart = given.isEmpty() ? "0" : given;
        Optional<String> groupPart = colon < 0 ? Optional.empty() : Optional.of(spec.substring(colon + 1));
        String flag = "--user " + spec;

        int uid;
        int gid;
        Optional<String> name;
        Optional<UserDatabase.User> found = db.user(userPart);
        if (found.isPresent()) {
            uid = found.get().uid();
            gid = found.get().gid();
            name = Optional.of(found.get().name());
        } else {
            uid = number(flag, userPart).orElseThrow(() -> new CordonException(flag + ": no user '"
                    + userPart + "' in the container's /etc/passwd"
                    + (db.hasPasswd() ? "" : " (it has none)") + "; give a name that is there, or a numeric uid"));
            gid = 0;
            name = Optional.empty();
        }

        Set<Integer> groups = new LinkedHashSet<>();
        if (groupPart.isPresent()) {
            if (groupPart.get().isEmpty()) {
                throw new CordonException(flag + ": the group after ':' is empty; give a name or a gid");
            }
            gid = group(flag, groupPart.get(), db);
        } else {
            name.ifPresent(n -> groups.addAll(db.memberships(n)));
        }
        for (String g : groupAdd) {
            groups.add(group("--group-add " + g, g, db));
        }
        return new Identity(uid, gid, new ArrayList<>(groups));
    }

    private static int group(String flag, String which, UserDatabase db) {
        Optional<UserDatabase.Group> g = db.group(which);
        if (g.isPresent()) {
            return g.get().gid();
        }
        return number(flag, which).orElseThrow(() -> new CordonException(flag + ": no group '" + which
                + "' in the container's /etc/group" + (db.hasGroup() ? "" : " (it has none)")
                + "; give a name that is there, or a numeric gid"));
    }

    /** A decimal id, empty if {@code s} is not a number; a number out of range is an error. */
    private static Optional<Integer> number(String flag, String s) {
        if (!s.matches("[0-9]+")) {
            return Optional.empty();
        }
        if (s.length() > 10 || Long.parseLong(s) > MAX_ID) {
            throw new CordonException(flag + ": ids must be in 0.." + MAX_ID + ", got " + s);
        }
        return Optional.of(Integer.parseInt(s));
    }
}
