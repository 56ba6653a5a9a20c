using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Hosting;

namespace Recoverly.Owners;

/// <summary>Cookie sign-in for owners; every owner page is scoped to the signed-in owner's business.</summary>
public static class OwnerAuth
{
    public const string AccountClaim = "recoverly:account";
    public const string BusinessClaim = "recoverly:business";
    public const string StampClaim = "recoverly:stamp";
    public const string OperatorPolicy = "operator";
    public const string LoginRateLimit = "login";

    /// <summary>Owner-page POSTs that can reach the telephony provider (the onboarding number step), per account.</summary>
    public const string NumberStepRateLimit = "number-step";
    private const string EmailVerifiedItem = "recoverly:email-verified";

    /// <summary>Whether the signed-in owner's email is confirmed, as read when the session was checked on this request (null: not read).</summary>
    public static bool? EmailVerified(HttpContext http) => http.Items.TryGetValue(EmailVerifiedItem, out var v) ? v as bool? : null;

    public static IServiceCollection AddOwnerAuth(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<EmailOptions>(config.GetSection("Email"));
        if (!string.IsNullOrWhiteSpace(config["Email:SmtpHost"])) services.AddSingleton<IMailer, SmtpMailer>();
        else services.AddSingleton<IMailer, PickupFolderMailer>();
        services.AddSingleton<AccountMail>();
        services.AddHostedService<AccountMailSender>();
        services.AddSingleton<IPasswordHasher<OwnerAccount>, PasswordHasher<OwnerAccount>>();
        services.AddScoped<Accounts>();
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentOwner>();
        services.AddSingleton<LoginSessionStore>();
        services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>, UseLoginSessionStore>();

        // Over a public https:// address every cookie is Secure, whatever scheme a request arrived with.
        var secure = PublicDeployment.IsHttps(config) ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/logout";
                o.AccessDeniedPath = "/login";
                o.Cookie.Name = "recoverly.owner";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = secure;
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = ValidateStampAsync;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, p => p.RequireClaim(ClaimTypes.Role, "operator"));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Keyed on the real client (behind a configured proxy, the forwarded address), not on the proxy.
            o.AddPolicy(LoginRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                PublicDeployment.ClientKey(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 20, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.AddPolicy(NumberStepRateLimit, http => HttpMethods.IsPost(http.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(
                    "account:" + (http.User.FindFirstValue(AccountClaim) ?? PublicDeployment.ClientKey(http)),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(10), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("read"));
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "recoverly.af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = secure;
        });
        return services;
    }

    /// <summary>Signs every browser of an account out at once (password reset, operator role removed).</summary>
    public static Task<int> EndSessionsAsync(RecoverlyDb db, long accountId, CancellationToken ct) =>
        db.LoginSessions.Where(s => s.AccountId == accountId).ExecuteDeleteAsync(ct);

    /// <summary>
    /// Every request re-checks the login: a password reset (new stamp) or an operator role added or removed since
    /// the session began ends it at once.
    /// </summary>
    private static async Task ValidateStampAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(AccountClaim);
        var stamp = context.Principal?.FindFirstValue(StampClaim);
        var db = context.HttpContext.RequestServices.GetRequiredService<RecoverlyDb>();
        var current = long.TryParse(id, out var accountId)
            ? await db.OwnerAccounts.AsNoTracking().Where(a => a.Id == accountId)
                .Select(a => new { a.SecurityStamp, a.BusinessId, a.IsOperator, a.EmailVerifiedAt }).FirstOrDefaultAsync()
            : null;
        if (current is null || current.SecurityStamp != stamp || current.IsOperator != context.Principal!.IsInRole("operator"))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        // Read here anyway: the email banner needs no query of its own.
        context.HttpContext.Items[EmailVerifiedItem] = current.EmailVerifiedAt is not null;
        // The business is created during onboarding, after sign-in: refresh the claim when it appears.
        if (current.BusinessId?.ToString() != context.Principal!.FindFirstValue(BusinessClaim))
        {
            var account = await db.OwnerAccounts.AsNoTracking().FirstAsync(a => a.Id == accountId);
            context.ReplacePrincipal(Principal(account));
            context.ShouldRenew = true;
        }
    }

    public static ClaimsPrincipal Principal(OwnerAccount account)
    {
        var claims = new List<Claim>
        {
            new(AccountClaim, account.Id.ToString()),
            new(ClaimTypes.Name, account.Email),
            new(StampClaim, account.SecurityStamp),
        };
        if (account.BusinessId is { } b) claims.Add(new Claim(BusinessClaim, b.ToString()));
        if (account.IsOperator) claims.Add(new Claim(ClaimTypes.Role, "operator"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    public static string HashToken(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>The signed-in owner. Pages read data only through <see cref="BusinessId"/>.</summary>
public sealed class CurrentOwner(IHttpContextAccessor http)
{
    private ClaimsPrincipal User => http.HttpContext?.User ?? new ClaimsPrincipal();

    public long AccountId => long.TryParse(User.FindFirstValue(OwnerAuth.AccountClaim), out var id) ? id : 0;

    /// <summary>Null until onboarding has created the business.</summary>
    public long? BusinessId => long.TryParse(User.FindFirstValue(OwnerAuth.BusinessClaim), out var id) ? id : null;

    public string Email => User.FindFirstValue(ClaimTypes.Name) ?? "";
}
