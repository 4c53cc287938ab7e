import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.nodes.PersistentTtlNode;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;

/**
 * Curator 5.4 side of the TTL node interop test (node/interop_test.go).
 *
 * Usage: TtlInterop CONNECT PATH TTL_MS DATA
 *   start a PersistentTtlNode at PATH with DATA (Curator's defaults: child
 *   "touch", touched every TTL/2, parents created as containers), wait for
 *   the node and its touch child, print "created"; keep it until stdin
 *   ends, then close it (which leaves the node to expire) and print
 *   "closed".
 */
public class TtlInterop {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], 10000, 5000,
                new ExponentialBackoffRetry(10, 10, 500));
        client.start();
        client.blockUntilConnected();
        String path = args[1];
        PersistentTtlNode n = new PersistentTtlNode(client, path, Long.parseLong(args[2]),
                args[3].getBytes(StandardCharsets.UTF_8));
        n.start();
        if (!n.waitForInitialCreate(20, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("not created");
        }
        // The first touch comes TTL/2 after start; poll for it (a test
        // program: the Go test waits on events).
        String child = ZKPaths.makePath(path, PersistentTtlNode.DEFAULT_CHILD_NODE_NAME);
        long deadline = System.currentTimeMillis() + 20000;
        while (client.checkExists().forPath(child) == null) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("never touched");
            }
            Thread.sleep(10);
        }
        System.out.println("created");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        while (in.readLine() != null) {
        }
        n.close();
        System.out.println("closed");
        System.out.flush();
        client.close();
    }
}
