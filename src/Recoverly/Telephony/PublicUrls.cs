using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Recoverly.Telephony;

/// <summary>Builds absolute callback URLs: <c>Recoverly:PublicBaseUrl</c>, else the address this process listens on.</summary>
public sealed class PublicUrls(IOptions<RecoverlyOptions> options, IServiceProvider services)
{
    private string? _listening;

    public string Base
    {
        get
        {
            var configured = options.Value.PublicBaseUrl;
            if (!string.IsNullOrWhiteSpace(configured)) return configured.TrimEnd('/');
            // Asked before the server listens, the default stands in but is not kept, so later callers get the real address.
            return (_listening ??= ListeningAddress()) ?? "http://localhost:5080";
        }
    }

    public string For(string path) => Base + path;

    private string? ListeningAddress()
    {
        var server = services.GetService<IServer>();
        var address = server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null) return null;
        // Kestrel reports wildcard binds; callers need a host they can reach.
        return address.Replace("://+", "://localhost").Replace("://*", "://localhost")
            .Replace("://0.0.0.0", "://localhost").Replace("://[::]", "://localhost").TrimEnd('/');
    }
}
