import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Curator 5.4 side of the counter interop tests (counter/interop_test.go).
 *
 * Usage: CounterInterop CONNECT MODE PATH [ARG]
 *   atomic-inc PATH N   increment a DistributedAtomicLong N times, print "done N"
 *   atomic-get PATH     print "value V"
 *   atomic-set PATH V   force the value to V, print "ok"
 *   shared-get PATH     print "count C version V" of a SharedCount (seed 0)
 *   shared-set PATH C   setCount(C) on a SharedCount, print "ok"
 */
public class CounterInterop {
    public static void main(String[] args) throws Exception {
        String connect = args[0], mode = args[1], path = args[2];
        CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 10000, 5000,
                new ExponentialBackoffRetry(10, 10, 500));
        client.start();
        client.blockUntilConnected();
        try {
            switch (mode) {
                case "atomic-inc": {
                    int n = Integer.parseInt(args[3]);
                    DistributedAtomicLong dal = new DistributedAtomicLong(client, path,
                            new ExponentialBackoffRetry(1, 29, 50));
                    System.out.println("ready");
                    for (int i = 0; i < n; i++) {
                        AtomicValue<Long> v;
                        do {
                            v = dal.increment();
                        } while (!v.succeeded());
                        if (v.postValue() != v.preValue() + 1) {
                            throw new IllegalStateException("bad increment " + v.preValue() + " -> " + v.postValue());
                        }
                    }
                    System.out.println("done " + n);
                    break;
                }
                case "atomic-get": {
                    DistributedAtomicLong dal = new DistributedAtomicLong(client, path, new ExponentialBackoffRetry(1, 29, 50));
                    System.out.println("value " + dal.get().postValue());
                    break;
                }
                case "atomic-set": {
                    DistributedAtomicLong dal = new DistributedAtomicLong(client, path, new ExponentialBackoffRetry(1, 29, 50));
                    dal.forceSet(Long.parseLong(args[3]));
                    System.out.println("ok");
                    break;
                }
                case "shared-get": {
                    SharedCount sc = new SharedCount(client, path, 0);
                    sc.start();
                    System.out.println("count " + sc.getVersionedValue().getValue() + " version " + sc.getVersionedValue().getVersion());
                    sc.close();
                    break;
                }
                case "shared-set": {
                    SharedCount sc = new SharedCount(client, path, 0);
                    sc.start();
                    sc.setCount(Integer.parseInt(args[3]));
                    System.out.println("ok");
                    sc.close();
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown mode " + mode);
            }
        } finally {
            client.close();
        }
    }
}
