using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Recoverly.Hosting;

/// <summary>
/// Running on the public internet (docs/deploy.md): the client address comes from <c>X-Forwarded-For</c> only
/// when the request arrived from a proxy listed in <c>Recoverly:KnownProxies</c>; over an https://
/// <c>Recoverly:PublicBaseUrl</c> plain-http requests are redirected and browsers are told to stay on HTTPS.
/// </summary>
public static class PublicDeployment
{
    public const string KnownProxiesKey = "Recoverly:KnownProxies";

    /// <summary>True when <c>Recoverly:PublicBaseUrl</c> is an https:// address.</summary>
    public static bool IsHttps(IConfiguration config) =>
        Uri.TryCreate(config["Recoverly:PublicBaseUrl"]?.Trim(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>The proxies and networks of <c>Recoverly:KnownProxies</c> (comma-separated IPs or CIDR ranges), or the entry that is neither.</summary>
    public static (List<IPNetwork> Networks, string? Invalid) ParseKnownProxies(string? value)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/'))
            {
                if (!IPNetwork.TryParse(entry, out var network)) return (networks, entry);
                networks.Add(network);
            }
            else
            {
                if (!IPAddress.TryParse(entry, out var address)) return (networks, entry);
                networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
        }
        return (networks, null);
    }

    public static IServiceCollection AddPublicDeployment(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The framework trusts loopback by default; only what the operator lists is trusted here.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in ParseKnownProxies(config[KnownProxiesKey]).Networks) o.KnownIPNetworks.Add(network);
            // A chain of listed proxies is walked to its end; the first address that is not a listed proxy is the client.
            o.ForwardLimit = null;
        });
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        if (Uri.TryCreate(config["Recoverly:PublicBaseUrl"]?.Trim(), UriKind.Absolute, out var publicBase) && publicBase.Scheme == Uri.UriSchemeHttps)
            services.AddHttpsRedirection(o =>
            {
                o.HttpsPort = publicBase.Port;
                o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
            });
        return services;
    }

    /// <summary>First in the pipeline, so everything after it (rate limits, consent evidence, logs) sees the real client.</summary>
    public static void UsePublicDeployment(this WebApplication app)
    {
        if (ParseKnownProxies(app.Configuration[KnownProxiesKey]).Networks.Count > 0) app.UseForwardedHeaders();
        if (!IsHttps(app.Configuration)) return;
        app.UseHsts();
        // Health probes and metric scrapes come from inside the network over plain http; everything else moves to https.
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/healthz") && !http.Request.Path.StartsWithSegments(RecoverlyMetrics.Path),
            https => https.UseHttpsRedirection());
    }

    /// <summary>
    /// The rate-limit key of the client: its address (IPv6 by /64, the block one subscriber usually holds), so
    /// one client is limited without locking out everyone else behind the same proxy.
    /// </summary>
    public static string ClientKey(HttpContext http)
    {
        var ip = http.Connection.RemoteIpAddress;
        if (ip is null) return "unknown";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != AddressFamily.InterNetworkV6) return ip.ToString();
        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
