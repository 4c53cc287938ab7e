// SelectorPeer runs Curator LeaderSelectors with autoRequeue, driven over
// stdin, for the election package's interoperability test with Run. Usage:
//
//	java SelectorPeer <connect-string> <election-path> <hold-ms> <id>...
//
// Each id gets its own client and LeaderSelector (setId(id), autoRequeue);
// a term holds leadership for hold-ms, then returns and requeues.
// Commands (one per line): start, close, leader, participants; the program
// closes everything and exits at the end of its input.
// Output lines: READY, STARTED, CLOSED, LEADERID <id>,
// PARTICIPANTS <id>,<id>,..., ERROR <message>, and after every term
// TERM <id> <start> <end> in microseconds since the epoch (wall clock,
// comparable with the Go side's on the same machine).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.retry.RetryNTimes;

public class SelectorPeer {
    static synchronized void say(String s) {
        System.out.println(s);
        System.out.flush();
    }

    static long micros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0], path = args[1];
        long hold = Long.parseLong(args[2]);
        List<CuratorFramework> clients = new ArrayList<>();
        List<LeaderSelector> selectors = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            final String id = args[i];
            CuratorFramework c = CuratorFrameworkFactory.newClient(connect, 10000, 10000, new RetryNTimes(20, 100));
            c.start();
            c.blockUntilConnected();
            clients.add(c);
            LeaderSelector s = new LeaderSelector(c, path, new LeaderSelectorListenerAdapter() {
                @Override public void takeLeadership(CuratorFramework client) throws Exception {
                    long start = micros();
                    try {
                        Thread.sleep(hold);
                    } finally {
                        // Before LeaderSelector releases its InterProcessMutex.
                        say("TERM " + id + " " + start + " " + micros());
                    }
                }
            });
            s.setId(id);
            s.autoRequeue();
            selectors.add(s);
        }
        say("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        boolean started = false;
        while ((line = in.readLine()) != null) {
            try {
                switch (line.trim()) {
                case "start":
                    for (LeaderSelector s : selectors) s.start();
                    started = true;
                    say("STARTED");
                    break;
                case "close":
                    if (started) for (LeaderSelector s : selectors) s.close();
                    started = false;
                    say("CLOSED");
                    break;
                case "leader":
                    say("LEADERID " + selectors.get(0).getLeader().getId());
                    break;
                case "participants":
                    List<String> ids = new ArrayList<>();
                    for (Participant p : selectors.get(0).getParticipants()) ids.add(p.getId());
                    say("PARTICIPANTS " + String.join(",", ids));
                    break;
                default:
                    say("ERROR unknown command " + line);
                }
            } catch (Exception e) {
                say("ERROR " + e);
            }
        }
        if (started) for (LeaderSelector s : selectors) s.close();
        for (CuratorFramework c : clients) c.close();
    }
}
