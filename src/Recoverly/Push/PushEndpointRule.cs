using System.Net;
using System.Net.Sockets;

namespace Recoverly.Push;

/// <summary>
/// A subscription's endpoint is a URL the server will POST to, so it is checked like any address an outsider
/// hands us (docs/push-alerts.md): https on port 443 to a public host only — or, when this installation itself
/// runs on a loopback address (development, tests), a loopback push service. Names are resolved again at
/// connect time (<see cref="PushHttp"/>) so a name can't be pointed at an inside address later.
/// </summary>
public static class PushEndpointRule
{
    public const int MaxLength = 1000;

    /// <summary>Why the endpoint is refused, in the owner's words; null when it may be used.</summary>
    public static string? Problem(string? endpoint, bool loopbackAllowed)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) return "The browser sent no push address.";
        if (endpoint.Length > MaxLength) return "The browser's push address is too long.";
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
            return "The browser's push address is not a valid web address.";
        var loopback = IsLoopbackHost(uri);
        if (loopback) return loopbackAllowed && uri.Scheme is "https" or "http" ? null : "Push addresses on this machine are not allowed.";
        if (uri.Scheme != Uri.UriSchemeHttps || uri.Port != 443) return "Push addresses must be https.";
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && !IsPublic(ip)) return "Push addresses must be on the public internet.";
        if (!uri.IdnHost.Contains('.', StringComparison.Ordinal) && ip is null) return "Push addresses must be on the public internet.";
        return null;
    }

    public static bool IsLoopbackHost(Uri uri) =>
        uri.IsLoopback || uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for an address on the public internet: not loopback, private, link-local, shared, multicast or reserved.</summary>
    public static bool IsPublic(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.Equals(IPAddress.Broadcast)) return false;
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224
                     || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // shared address space (carrier NAT)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                     || (b[0] == 198 && b[1] is 18 or 19)
                     || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                     || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }
        if (ip.AddressFamily != AddressFamily.InterNetworkV6) return false;
        var v6 = ip.GetAddressBytes();
        return !(ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6Multicast || ip.IsIPv6UniqueLocal
                 || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) // documentation
                 || (v6[0] == 0 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b)); // NAT64 reaches IPv4 inside addresses
    }
}
