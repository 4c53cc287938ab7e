// LatchPeer is a Curator LeaderLatch participant driven over stdin, for the
// election package's interoperability test. Usage:
//
//	java LatchPeer <connect-string> <election-path> <id>
//
// Commands (one per line): start, close, leader, participants, quit.
// Output lines: READY, STARTED, CLOSED, LEADER, NOTLEADER,
// LEADERID <id>, PARTICIPANTS <id>,<id>,..., ERROR <message>.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.retry.RetryNTimes;

public class LatchPeer {
    static synchronized void say(String s) {
        System.out.println(s);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0], path = args[1], id = args[2];
        CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 10000, 10000, new RetryNTimes(20, 100));
        client.start();
        client.blockUntilConnected();
        LeaderLatch latch = null;
        // An unstarted latch on the same path answers leader/participants queries.
        LeaderLatch query = new LeaderLatch(client, path, id);
        say("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            try {
                switch (line.trim()) {
                case "start":
                    latch = new LeaderLatch(client, path, id);
                    latch.addListener(new LeaderLatchListener() {
                        @Override public void isLeader() { say("LEADER"); }
                        @Override public void notLeader() { say("NOTLEADER"); }
                    });
                    latch.start();
                    say("STARTED");
                    break;
                case "close":
                    if (latch != null) {
                        latch.close(LeaderLatch.CloseMode.NOTIFY_LEADER);
                        latch = null;
                    }
                    say("CLOSED");
                    break;
                case "leader":
                    say("LEADERID " + query.getLeader().getId());
                    break;
                case "participants":
                    List<String> ids = new ArrayList<>();
                    for (Participant p : query.getParticipants()) ids.add(p.getId());
                    say("PARTICIPANTS " + String.join(",", ids));
                    break;
                case "quit":
                    if (latch != null) latch.close();
                    client.close();
                    return;
                default:
                    say("ERROR unknown command " + line);
                }
            } catch (Exception e) {
                say("ERROR " + e);
            }
        }
        if (latch != null) latch.close();
        client.close();
    }
}
