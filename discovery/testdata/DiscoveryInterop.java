import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceInstanceBuilder;
import org.apache.curator.x.discovery.ServiceProvider;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.UriSpec;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * Curator 5.4 (curator-x-discovery) side of the discovery interop tests
 * (discovery/interop_test.go). Payloads are Maps, as the issue asks.
 *
 * Usage: DiscoveryInterop MODE ARGS...
 *   encode NAME ID ADDRESS PORT SSLPORT|- TIME ZONE WEIGHT URISPEC|- TYPE
 *       print what Curator's default serializer writes for that instance
 *   register CONNECT BASE NAME ID ADDRESS PORT ZONE WEIGHT
 *       register a DYNAMIC instance, print "registered", then on each stdin
 *       line "update ZONE" update its payload and print "updated"; on EOF
 *       unregister and print "unregistered"
 *   list CONNECT BASE NAME     one line per instance (sorted by id), then "end"
 *   names CONNECT BASE         the service names, sorted, comma-separated
 *   provider CONNECT BASE NAME the id a round-robin ServiceProvider picks
 */
public class DiscoveryInterop {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        if (mode.equals("encode")) {
            ServiceInstance<Map> in = new ServiceInstance<Map>(args[1], args[2], args[3],
                    Integer.valueOf(args[4]), args[5].equals("-") ? null : Integer.valueOf(args[5]),
                    payload(args[7], args[8]), Long.parseLong(args[6]), ServiceType.valueOf(args[10]),
                    args[9].equals("-") ? null : new UriSpec(args[9]));
            byte[] b = new JsonInstanceSerializer<Map>(Map.class).serialize(in);
            System.out.println(new String(b, StandardCharsets.UTF_8));
            return;
        }
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000,
                new ExponentialBackoffRetry(10, 10, 500));
        client.start();
        client.blockUntilConnected();
        ServiceDiscovery<Map> sd = ServiceDiscoveryBuilder.builder(Map.class).client(client).basePath(args[2]).build();
        sd.start();
        try {
            switch (mode) {
                case "register": {
                    ServiceInstanceBuilder<Map> b = ServiceInstance.<Map>builder().name(args[3]).id(args[4])
                            .address(args[5]).port(Integer.parseInt(args[6])).payload(payload(args[7], args[8]))
                            .serviceType(ServiceType.DYNAMIC).uriSpec(new UriSpec("{scheme}://{address}:{port}"));
                    ServiceInstance<Map> in = b.build();
                    sd.registerService(in);
                    System.out.println("registered");
                    BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    String line;
                    while ((line = r.readLine()) != null) {
                        String[] f = line.split(" ");
                        if (f[0].equals("update")) {
                            in = b.payload(payload(f[1], args[8])).build();
                            sd.updateService(in);
                            System.out.println("updated");
                        }
                    }
                    sd.unregisterService(in);
                    System.out.println("unregistered");
                    break;
                }
                case "list": {
                    List<ServiceInstance<Map>> all = new ArrayList<>(sd.queryForInstances(args[3]));
                    all.sort((a, b) -> a.getId().compareTo(b.getId()));
                    for (ServiceInstance<Map> in : all) {
                        System.out.println(describe(in));
                    }
                    System.out.println("end");
                    break;
                }
                case "names": {
                    List<String> names = new ArrayList<>(sd.queryForNames());
                    names.sort(null);
                    System.out.println("names " + String.join(",", names));
                    break;
                }
                case "provider": {
                    ServiceProvider<Map> p = sd.serviceProviderBuilder().serviceName(args[3]).build();
                    p.start();
                    ServiceInstance<Map> in = p.getInstance();
                    System.out.println("picked " + (in == null ? "none" : in.getId()));
                    p.close();
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown mode " + mode);
            }
        } finally {
            sd.close();
            client.close();
        }
    }

    static Map<String, Object> payload(String zone, String weight) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("zone", zone);
        m.put("weight", Integer.parseInt(weight));
        return m;
    }

    static String describe(ServiceInstance<Map> in) {
        Map p = in.getPayload();
        return "instance name=" + in.getName() + " id=" + in.getId() + " address=" + in.getAddress()
                + " port=" + in.getPort() + " sslPort=" + in.getSslPort() + " time=" + in.getRegistrationTimeUTC()
                + " type=" + in.getServiceType() + " enabled=" + in.isEnabled()
                + " uri=" + (in.getUriSpec() == null ? "null" : in.buildUriSpec())
                + " zone=" + (p == null ? "null" : p.get("zone")) + " weight=" + (p == null ? "null" : p.get("weight"));
    }
}
