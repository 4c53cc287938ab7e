// Interop contends with Go on one lock path through Apache Curator's
// recipes, for lock/interop_test.go. Every holder records itself in a
// shared state znode ("<inside> <lastSide> <switches>") with version
// checks, the same way the Go side does, so any overlap of a writer with
// anyone, or of more than maxLeases lease holders, is seen as a violation
// by whichever side notices it.
//
// Usage: java Interop <connect> <mutex|rw|sem> <lockPath> <statePath> <iterations> <maxLeases>
// Prints READY once connected, then "RESULT acquisitions=<n> violations=<n>".

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public class Interop {
    static final String SIDE = "java";
    static CuratorFramework client;
    static String state;
    static int violations;

    public static void main(String[] args) throws Exception {
        String connect = args[0], mode = args[1], lockPath = args[2];
        state = args[3];
        int iterations = Integer.parseInt(args[4]);
        int maxLeases = Integer.parseInt(args[5]);

        client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(10000)
                .retryPolicy(new ExponentialBackoffRetry(10, 10))
                .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("could not connect to " + connect);
        }
        System.out.println("READY");
        System.out.flush();

        int acquisitions = 0;
        switch (mode) {
            case "mutex": {
                InterProcessMutex m = new InterProcessMutex(client, lockPath);
                for (int i = 0; i < iterations; i++) {
                    m.acquire();
                    try {
                        hold(true, 0);
                    } finally {
                        m.release();
                    }
                    acquisitions++;
                }
                break;
            }
            case "rw": {
                InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, lockPath);
                for (int i = 0; i < iterations; i++) {
                    boolean write = i % 3 == 0;
                    InterProcessMutex m = write ? rw.writeLock() : rw.readLock();
                    m.acquire();
                    try {
                        hold(write, 0);
                    } finally {
                        m.release();
                    }
                    acquisitions++;
                }
                break;
            }
            case "sem": {
                InterProcessSemaphoreV2 s = new InterProcessSemaphoreV2(client, lockPath, maxLeases);
                for (int i = 0; i < iterations; i++) {
                    Lease l = s.acquire();
                    try {
                        hold(false, maxLeases);
                    } finally {
                        s.returnLease(l);
                    }
                    acquisitions++;
                }
                break;
            }
            default:
                throw new IllegalArgumentException("mode " + mode);
        }
        client.close();
        System.out.println("RESULT acquisitions=" + acquisitions + " violations=" + violations);
    }

    // hold enters the critical section, stays a moment and leaves.
    // exclusive: a writer (nobody else may be inside); otherwise a shared
    // holder, at most bound at once when bound > 0.
    static void hold(boolean exclusive, int bound) throws Exception {
        update(exclusive, bound, true);
        Thread.sleep(3);
        update(exclusive, bound, false);
    }

    static void update(boolean exclusive, int bound, boolean enter) throws Exception {
        for (;;) {
            Stat st = new Stat();
            String[] f = new String(client.getData().storingStatIn(st).forPath(state), StandardCharsets.UTF_8).split(" ");
            int inside = Integer.parseInt(f[0]);
            int switches = Integer.parseInt(f[2]);
            int next;
            if (enter) {
                if (exclusive ? inside != 0 : inside < 0 || (bound > 0 && inside + 1 > bound)) {
                    violations++;
                }
                next = exclusive ? -1 : Math.max(inside, 0) + 1;
                if (!f[1].equals(SIDE)) {
                    switches++;
                }
            } else {
                if (exclusive ? inside != -1 : inside < 1) {
                    violations++;
                }
                next = exclusive ? 0 : Math.max(inside - 1, 0);
            }
            byte[] data = (next + " " + (enter ? SIDE : f[1]) + " " + switches).getBytes(StandardCharsets.UTF_8);
            try {
                client.setData().withVersion(st.getVersion()).forPath(state, data);
                return;
            } catch (KeeperException.BadVersionException e) {
                if (exclusive) {
                    violations++; // someone changed the state while we held exclusively
                    return;
                }
            }
        }
    }
}
