using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Public;
using Recoverly.Telephony;

namespace Recoverly.Pages.Public;

public sealed class ExamplesModel(PublicUrls urls) : PageModel
{
    public IReadOnlyList<ExampleThread> Threads { get; private set; } = [];

    public void OnGet() => Threads = ExampleMessages.All(urls.For(ExampleMessages.SampleConversationPath));
}
