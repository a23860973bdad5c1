# Сообщения crmsql на русском языке.
# Формы множественного числа выбираются по правилам CLDR: one (1, 21), few (2–4, 22), many (5–20, 25).

rows = { $count } { $count ->
    [one] строка
    [few] строки
   *[many] строк
}

rows-hidden = { $count } { $count ->
    [one] строка
    [few] строки
   *[many] строк
}, { $shown ->
    [1] показана первая
    [one] показана { $shown } — первые и последние
    [few] показаны { $shown } — первые и последние
   *[many] показано { $shown } — первые и последние
}; все строки — \last в оболочке или --maxrows 0
table-record = запись

## Ошибки ввода-вывода

io-not-found = не найден
io-permission-denied = нет прав доступа
io-already-exists = уже существует
io-storage-full = на диске нет места
io-is-a-directory = это папка, а не файл
io-not-a-directory = это файл, а не папка
io-addr-in-use = адрес уже занят другой программой
io-addr-not-available = такого адреса у этой машины нет
io-connection-refused = соединение отклонено

## Хранилище

warehouse-io = хранилище: { $path }: { $detail }
warehouse-meta = хранилище: файл описания { $path } повреждён: { $detail }
    подсказка: если это снимок из папки snapshots, запишите в файл CURRENT хранилища имя предыдущего снимка; иначе удалите хранилище и загрузите выгрузки заново

## Импорт

import-io = не удалось прочитать или записать { $path }: { $detail }
import-no-export-files = в { $path } нет файлов, которые можно загрузить: выгрузок amoCRM, JSON из API, таблиц Excel или CSV
import-empty-file = файл { $path } пуст: нет даже строки заголовков; проверьте, что выгрузка скачалась полностью, и скачайте её заново
import-nested-folder = вложенная папка { $path } пропущена: из папки читаются только её файлы; чтобы загрузить и эту папку, укажите её в команде отдельно
import-not-deals-export = { $path } не похож на выгрузку сделок amoCRM: нет столбцов «ID» и «Название сделки» или «Этап сделки» (заголовки: { $header })
    подсказка: выгрузите сделки из amoCRM через «Сделки → ⋯ → Экспорт → CSV»; другую таблицу загрузите с --table ИМЯ, например --table purchases
import-not-deals-export-named = { $path } не похож на выгрузку сделок amoCRM: нет столбцов «ID» и «Название сделки» или «Этап сделки» (заголовки: { $header })
    подсказка: таблица deals принимает только выгрузки сделок; чтобы загрузить файл как свою таблицу, дайте ей другое имя, например --table purchases
import-not-deals-export-forced = { $path } не похож на выгрузку сделок amoCRM: нет столбцов «ID» и «Название сделки» или «Этап сделки» (заголовки: { $header })
    подсказка: заголовки прочитаны с заданными --encoding или --delimiter; попробуйте без них, чтобы кодировка и разделитель определились сами
import-unknown-timezone = неизвестный часовой пояс «{ $value }»
    подсказка: укажите пояс из базы IANA, например Europe/Moscow или Asia/Yekaterinburg
import-unknown-encoding = неизвестная кодировка «{ $value }»
    подсказка: поддерживаются utf-8, windows-1251 (cp1251), koi8-r, utf-16le и utf-16be
import-invalid-delimiter = разделитель «{ $value }» должен быть одним символом, кроме кавычки и переноса строки, например ; или , или tab
import-nothing-imported = ни одна строка не загружена: { $rejected ->
    [one] отклонена { $rejected } строка
    [few] отклонены { $rejected } строки
   *[many] отклонено { $rejected } строк
}; первая — { $file }, строка { $line }{ $cell }: { $reason }
    все отклонённые строки с причинами — в { $rejects }; хранилище не изменено
import-parquet = не удалось записать Parquet-файл { $path }: { $detail }
import-arrow = внутренняя ошибка при сборке столбцов: { $detail }
import-summary = { $table }: { $rows ->
    [one] загружена { $rows } строка
    [few] загружены { $rows } строки
   *[many] загружено { $rows } строк
} из { $files } { $files ->
    [one] файла
   *[other] файлов
}
import-summary-rejected = { $table }: { $rejected ->
    [one] отклонена { $rejected } строка
    [few] отклонены { $rejected } строки
   *[many] отклонено { $rejected } строк
}, причины и сами строки — в { $path }
import-source = { $path }: кодировка { $encoding }, разделитель «{ $delimiter }», { $rows ->
    [one] { $rows } строка
    [few] { $rows } строки
   *[many] { $rows } строк
}{ $rejected ->
    [0] {""}
   *[other] , отклонено: { $rejected }
}
import-missing-columns = в { $path } нет столбцов { $columns }: в таблице они пустые, и отчёты по ним ничего не покажут
    подсказка: если в аккаунте столбцы называются иначе, переименуйте заголовки в файле
import-skipped = пропущен файл: { $reason }
import-done = Хранилище: { $path }

## Причины отклонения строк

reject-field-count = в записи { $actual ->
    [one] { $actual } поле
    [few] { $actual } поля
   *[many] { $actual } полей
}, а в заголовке { $expected }
reject-cell = , столбец «{ $column }», значение «{ $value }»
reject-invalid-integer = не целое число
reject-invalid-money = не денежная сумма; ожидается, например, 185000, 185 000 или 42 000,50
reject-invalid-api-money = не денежная сумма; ожидается число или строка с числом, например 185000 или "42000.50"
reject-too-many-decimals = больше двух знаков после запятой: копейки не сохранить точно
reject-money-out-of-range = в сумме больше 16 цифр до запятой
reject-invalid-date = не дата; ожидается дд.мм.гггг чч:мм:сс, дд.мм.гггг чч:мм, дд.мм.гггг или гггг-мм-дд чч:мм:сс
reject-date-out-of-range = год вне диапазона 1900–2200, с которым работают отчёты; если это условная дата вроде 31.12.9999 («никогда»), очистите ячейку
reject-invalid-api-time = не время; API отдаёт время числом секунд Unix, например 1718965507, а crmsql принимает и строку вида дд.мм.гггг чч:мм:сс
reject-duplicate-key = ключ ({ $key }) уже встречался в этом файле, в строке { $line }, поэтому эта строка отклонена. Если это разные суммы, объедините их в одну строку или загрузите таблицу с другим --key и --replace
reject-impossible-date = такой даты или времени не бывает
reject-nonexistent-local-time = такого времени нет в часовом поясе { $timezone } (перевод часов)
reject-missing-id = пустой ID сделки
reject-repeated-header = строка заголовков посреди данных: похоже, в файл склеены две выгрузки; эта строка отклонена, остальные загружены
reject-invalid-encoding = ячейка не в кодировке файла ({ $encoding }); если весь файл в другой кодировке, укажите её через --encoding, а если в другой кодировке только часть строк, пересохраните файл в одной кодировке

## Запросы и отчёты

fn-error-unknown-period = неизвестный период «{ $preset }»; можно: { $presets }
fn-error-unknown-comparison = неизвестное сравнение «{ $how }»: можно 'previous' (предыдущий период) или 'year' (год назад)
fn-error-bad-now = crmsql.now = «{ $value }»: нужно местное время вида '2025-07-15 10:00:00' или пустая строка
fn-error-null-threshold = segment_bucket: среди границ есть NULL; границы — только числа
fn-error-thresholds-order = segment_bucket: границы должны возрастать, а { $first } стоит перед { $second }
fn-error-label-count = segment_bucket: { $thresholds ->
    [one] { $thresholds } граница даёт
    [few] { $thresholds } границы дают
   *[many] { $thresholds } границ дают
} { $segments ->
    [one] { $segments } сегмент
    [few] { $segments } сегмента
   *[many] { $segments } сегментов
}, а названий { $labels }
fn-error-buckets-constant = quantile_bucket: число групп должно быть постоянным, например 5
fn-error-buckets-range = quantile_bucket: число групп — от 1 до 1000, а дано { $value }
fn-error-rfm-score = rfm_segment: «{ $value }» — не RFM-код; нужны три цифры от 1 до 5, например '545', как возвращает rfm_score
sql-error = запрос не выполнен: { $detail }
sql-column-not-found = столбца «{ $name }» нет
sql-function-not-found = функции «{ $name }» нет
sql-syntax = в запросе синтаксическая ошибка
sql-at = строка { $line }, столбец { $column }:
sql-did-you-mean = подсказка: возможно, имелось в виду «{ $name }»
sql-columns-are = подсказка: есть столбцы { $columns }
sql-functions-hint = подсказка: функции crmsql с описаниями показывает \df в оболочке, встроенные ищет \df ШАБЛОН
sql-group-by = столбец в SELECT не входит в GROUP BY и не стоит внутри агрегата
sql-group-by-hint = подсказка: добавьте столбец в GROUP BY или оберните его в агрегат — sum, count, avg_check…
sql-divide-by-zero = деление на ноль
sql-divide-by-zero-hint = подсказка: функции crmsql (conversion, margin, roi…) при нулевом знаменателе дают NULL; или делите на nullif(x, 0)
sql-ambiguous = столбец с таким именем есть в нескольких таблицах запроса
sql-ambiguous-hint = подсказка: укажите таблицу или её псевдоним, например d.manager
sql-aggregate-in-where = агрегат (sum, count…) нельзя ставить в WHERE
sql-aggregate-in-where-hint = подсказка: условие на агрегат пишется в HAVING после GROUP BY
sql-types = значения несовместимых типов в одном выражении
sql-types-hint = подсказка: приведите тип явно, например CAST(x AS DOUBLE) или CAST(x AS DATE)
sql-cast = значение не приводится к нужному типу
sql-cast-hint = подсказка: проверьте значение или пишите try_cast(x AS INT): он даёт NULL вместо ошибки; дата пишется как '2025-07-01', число — без пробелов
sql-memory = запросу не хватило памяти: предел --memory-limit — { $limit }
sql-memory-hint = подсказка: увеличьте --memory-limit или сузьте запрос (период, фильтр); сортировки и группировки сбрасываются на диск, а соединения таблиц держат свою сторону в памяти
sql-detail = подробности от DataFusion: { $detail }
table-not-found = таблицы «{ $name }» нет; есть: { $available }
table-not-found-empty = таблицы «{ $name }» нет: хранилище пусто; загрузите выгрузку командой crmsql import ФАЙЛ
table-hint-purchases =     подсказка: историю покупок загружают так: crmsql import ФАЙЛ --table purchases
table-hint-product-costs =     подсказка: себестоимость товаров загружают из файла со столбцами «Товар» и «Себестоимость %»: crmsql import ФАЙЛ
table-hint-ad-spend =     подсказка: расходы на рекламу загружают из файла со столбцами «Дата», «Канал» и «Расход»: crmsql import ФАЙЛ
table-hint-expenses =     подсказка: прочие расходы загружают из файла со столбцами «Месяц», «Статья» и «Сумма»: crmsql import ФАЙЛ
table-hint-api =     подсказка: покупателей и их покупки загружают из выгрузки API amoCRM (customers, transactions): crmsql import ПАПКА_С_JSON
report-not-found = отчёт «{ $name }» не найден
    подсказка: есть отчёты { $available }; список с описаниями — crmsql reports
param-unknown = у отчёта «{ $report }» нет параметра «{ $name }»; параметры отчёта: { $known }
param-none = нет
param-default = по умолчанию { $value }
param-required = обязательный
param-optional = необязательный
report-params-heading = Параметры:
report-origin = Файл: { $path }
report-origin-builtin = Встроенный отчёт crmsql (в исходниках — { $file }); чтобы изменить его, сохраните копию в папку queries под тем же именем
help-show = Показать отчёт: описание, параметры и SQL
help-show-report = Имя отчёта или путь к .sql-файлу
param-syntax = --param «{ $value }»: нужен вид КЛЮЧ=ЗНАЧЕНИЕ, например --param manager=Мария
param-invalid = параметр { $name } отчёта «{ $report }»: «{ $value }» — не { $type }
param-out-of-range = параметр { $name } отчёта «{ $report }»: { $value } — вне допустимых значений, от { $low } до { $high }
param-twice = параметр { $name } задан дважды: «{ $first }» и «{ $second }»; оставьте одно значение (--period и --compare тоже задают параметры period и compare)
param-missing = отчёту «{ $report }» нужен параметр { $name }: задайте его через --param { $name }=ЗНАЧЕНИЕ
param-undeclared = в отчёте «{ $report }» используется ${ $name }, но в заголовке нет строки «-- param: { $name } ТИП»; добавьте её
param-unclosed = в отчёте «{ $report }» необязательная часть запроса открыта «[[», но не закрыта «]]»; закройте её
param-type-text = текст
param-type-int = целое число, например 12
param-type-number = число, например 1,5
param-type-money = сумма с не более чем двумя знаками после запятой, например 50000 или 1500,50
param-type-date = дата вида ГГГГ-ММ-ДД или ДД.ММ.ГГГГ
param-type-bool = «да» или «нет» (true или false)
param-type-period = период: today, yesterday, this_week, last_month, this_quarter, last_year, last_30_days, 2025, 2025-07, 2025-Q3 или 2025-07-01..2025-07-31
param-type-compare = сравнение: previous или year
report-read = не удалось прочитать отчёт { $path }: { $detail }
report-no-query = { $path }: в файле нет запроса, только комментарии
    подсказка: после заголовка напишите SQL-запрос отчёта
report-no-name = { $path }: в заголовке нет строки «-- name: имя_отчёта»
    подсказка: отчёт начинается с комментариев «-- name: имя_отчёта» и «-- description: что он показывает»
report-no-description = { $path }: в заголовке нет строки «-- description: …» с описанием отчёта
    подсказка: опишите одной строкой, что показывает отчёт: «-- description: выручка по менеджерам за период»
report-name-twice = { $path }, строка { $line }: имя отчёта задано второй раз; у отчёта одно имя
report-bad-name = { $path }, строка { $line }: «{ $value }» не годится в имя отчёта: нужны латинские буквы, цифры, _ или -
report-bad-param = { $path }, строка { $line }: строка параметра «{ $value }» не читается
    подсказка: параметр объявляется так: «-- param: ИМЯ ТИП [= ПО_УМОЛЧАНИЮ] [required] | описание», например «-- param: period period = last_month | Период»
report-bad-param-name = { $path }, строка { $line }: «{ $value }» не годится в имя параметра: нужны латинские буквы, цифры и _, первой — буква
report-unknown-type = { $path }, строка { $line }: у параметра { $name } неизвестный тип «{ $value }»
    подсказка: типы параметров: text, int, number, money, date, bool, period, compare
report-bad-default = { $path }, строка { $line }: значение по умолчанию «{ $value }» не подходит к параметру { $name }
report-param-twice = { $path }, строка { $line }: параметр { $value } объявлен второй раз
report-unknown-param-en = { $path }, строка { $line }: в «-- param.en:» назван параметр «{ $value }», которого нет выше в строках «-- param:»
report-bad-chart = { $path }, строка { $line }: строка графика «{ $value }» не читается; нужно «-- chart: bar|line [СТОЛБЕЦ_ПОДПИСЕЙ [СТОЛБЕЦ_ЧИСЕЛ]]»
report-bad-check = { $path }, строка { $line }: проверка «{ $value }» не читается; нужно «-- check: УСЛОВИЕ | сообщение», а «-- check.en:» — после неё
param-check = отчёт «{ $report }»: { $message }
report-failed = отчёт { $report } ({ $path }): { $detail }
report-skipped = отчёт пропущен: { $detail }
report-duplicate = два отчёта с именем «{ $name }»: используется { $first }, а { $second } пропущен
    подсказка: переименуйте один из них в строке «-- name:»
output-error = не удалось вывести результат: { $detail }
write-failed = не удалось записать { $path }: { $detail }
config-unreadable = не удалось прочитать файл настроек { $path }: { $detail }; исправьте переменную CRMSQL_CONFIG или задайте её пустой, чтобы работать без файла
config-invalid = в файле настроек { $path }: { $detail }
config-invalid-line = в файле настроек { $path }, строка { $line }: { $detail }
config-run-option = { $option } — параметр одного запуска, а не настройка
config-run-command = { $command } — команда, а в файле настроек только параметры
    подсказка: в файле — параметры командной строки, по одному аргументу в строке, например --memory-limit=2G; параметрам одной команды (-c, --period) там не место
format-needs-file = формат { $format } записывается в файл: укажите --output ФАЙЛ
format-one-result = в файл { $format } помещается один результат, а отчёт «{ $report }» вернул { $count }; оставьте в отчёте один SELECT или выберите csv или json
write-no-folder = не удалось записать { $path }: папки { $folder } нет; создайте её или укажите файл в существующей папке
read-failed = не удалось прочитать { $path }: { $detail }

## Командная строка

error-prefix = ошибка
internal-error-prefix = внутренняя ошибка
warning-prefix = предупреждение
unknown-lang = неизвестный язык «{ $value }»: поддерживаются ru и en
demo-warehouse-created = Хранилище { $path } было пустым: в него загружена демонстрационная выгрузка ({ $rows ->
    [one] { $rows } сделка
    [few] { $rows } сделки
   *[many] { $rows } сделок
}, файл { $export }), с расходами на рекламу, прочими расходами и себестоимостью товаров из папки { $folder }.
    Чтобы работать со своими данными, загрузите выгрузку из amoCRM: crmsql import ФАЙЛ.csv

demo-format = crmsql demo пишет выгрузку amoCRM в CSV; --format к нему не относится
explain-scans = Чтение таблиц (что осталось после отбора по статистике файлов, групп строк и страниц):
explain-scan = { $table }: частей файлов { $files } из { $files_total }, групп строк { $groups } из { $groups_total }, страниц { $pages } из { $pages_total }; строк передано дальше: { $rows }
explain-scan-no-pages = { $table }: частей файлов { $files } из { $files_total }, групп строк { $groups } из { $groups_total }, страницы не проверялись; строк передано дальше: { $rows }
memory-limit-invalid = «{ $value }» не годится для --memory-limit: нужен размер не меньше 1M в единицах K, M или G (число без единицы — байты), например 512M или 2G
memory-limit-invalid-env = «{ $value }» в переменной CRMSQL_MEMORY_LIMIT не годится для --memory-limit: нужен размер не меньше 1M в единицах K, M или G (число без единицы — байты), например 512M или 2G; исправьте переменную или уберите её
demo-now = На демо-данных периоды вроде last_month отсчитываются от { $day }, дня демо-выгрузки.

help-crmsql = crmsql — SQL-аналитика по выгрузкам amoCRM: средний чек, воронки, менеджеры, каналы.
help-crmsql-after = Без -c и -f открывается интерактивная оболочка (REPL); SQL можно подать и на стандартный ввод. Параметры для каждого запуска, например --memory-limit=2G, можно записать в ~/.config/crmsql/config (или в файл из переменной CRMSQL_CONFIG), по одному аргументу в строке.
    Без --warehouse и CRMSQL_WAREHOUSE используется хранилище в папке данных пользователя; пустое заполняется демо-данными.
arg-invalid-choice = «{ $value }» не годится для { $arg }: можно { $valid }
arg-missing-value = для { $arg } нужно значение
arg-invalid-value = «{ $value }» не годится для { $arg }
arg-unknown = неизвестный параметр { $arg }
arg-unknown-command = неизвестная команда { $command }
arg-missing = не хватает { $arg }
arg-twice = { $arg } задан дважды; оставьте одно значение
arg-conflict = { $arg } нельзя сочетать с { $prior }
arg-too-many = у { $arg } слишком много значений
arg-did-you-mean = подсказка: возможно, имелось в виду { $suggested }
arg-see-help = подсказка: справка — crmsql --help, по команде — crmsql КОМАНДА --help
help-usage-heading = Использование:
value-char = СИМВОЛ
value-columns = СТОЛБЦЫ
value-dir = ПАПКА
value-encoding = КОДИРОВКА
value-file = ФАЙЛ
value-format = ФОРМАТ
value-key-value = КЛЮЧ=ЗНАЧЕНИЕ
value-label-name-type = ЗАГОЛОВОК=ИМЯ:ТИП
value-name = ИМЯ
value-path = ПУТЬ
value-period = ПЕРИОД
value-report = ОТЧЁТ
value-report-dir = ПАПКА_ОТЧЁТОВ
value-size = РАЗМЕР
value-stage = ЭТАП
value-zone = ПОЯС
help-usage-crmsql = crmsql [ПАРАМЕТРЫ] [-c SQL | -f ФАЙЛ | КОМАНДА]
help-usage-import = crmsql import [ПАРАМЕТРЫ] ПУТЬ...
help-usage-run = crmsql run [ПАРАМЕТРЫ] ОТЧЁТ
help-usage-run-all = crmsql run-all [ПАРАМЕТРЫ] --output-dir ПАПКА [ПАПКА_ОТЧЁТОВ]
help-usage-reports = crmsql reports [show ОТЧЁТ]
help-usage-show = crmsql reports show ОТЧЁТ
help-usage-demo = crmsql demo [ПАРАМЕТРЫ]
help-commands-heading = Команды
help-command-value = КОМАНДА
help-arguments-heading = Аргументы
help-options-heading = Параметры
help-arg-help = Показать эту справку
help-arg-version = Показать версию
help-arg-warehouse = Папка хранилища (Parquet-файлы таблиц); также переменная CRMSQL_WAREHOUSE
help-arg-format = Формат вывода результатов: table (таблица), csv, json, markdown, html (страница с графиком) и svg (график), а также parquet и xlsx (только в файл, через --output)
help-arg-lang = Язык сообщений и справки: ru или en; по умолчанию — по локали, иначе русский
help-arg-maxrows = Сколько строк таблицы показывать в терминале: первые и последние (по умолчанию 40; 0 — все). В файл и в конвейер выводятся все строки
help-arg-pager = Листать длинные и широкие результаты в терминале программой из $PAGER (иначе less): auto — когда не помещаются, on — всегда, off — никогда
help-arg-memory_limit = Сколько памяти может занять запрос (у исполнителя кластера — все его задачи вместе), например 1G; сверх этого сортировки и группировки сбрасываются на диск. Также переменная CRMSQL_MEMORY_LIMIT
help-arg-queries = Папка с сохранёнными отчётами (*.sql); также переменная CRMSQL_QUERIES и папка ./queries
help-arg-verbose = Подробный журнал на stderr (-v — ход работы, -vv — отладка)
help-crmsql-sql = Выполнить SQL (можно несколько операторов через «;») и выйти; параметр можно повторять
help-crmsql-file = Выполнить SQL из файла и выйти
output-needs-sql = --output без команды записывает результаты -c или -f; для отчёта: crmsql run ОТЧЁТ --output ФАЙЛ
output-shell-command = --output записывает результаты SQL-запросов, а у команды оболочки { $command } ({ $source }, строка { $line }) результата нет; уберите её или запустите без --output
format-one-statement = в файл { $format } помещается один результат, а запросов с результатом { $count }; оставьте один
help-crmsql-output = Записать результаты -c или -f в файл, целиком; формат — из --format или по имени файла (.csv, .xlsx, .parquet, .html…)
help-crmsql-init = Файл команд и запросов, которые оболочка выполняет перед первым приглашением; по умолчанию ~/.crmsqlrc, если он есть
help-crmsql-history_file = Файл истории команд REPL
help-import = Загрузить выгрузки amoCRM, JSON из API, таблицы Excel и другие таблицы (файлы или папки с ними) в хранилище
help-import-paths = Файлы выгрузки или папки с ними
help-import-timezone = Часовой пояс аккаунта amoCRM, в котором записаны даты выгрузки (IANA; по умолчанию пояс таблиц, уже загруженных в хранилище, а в пустом хранилище Europe/Moscow); также переменная CRMSQL_TIMEZONE
help-import-encoding = Кодировка файлов вместо автоопределения: utf-8, windows-1251 (cp1251), koi8-r, utf-16le или utf-16be
help-import-delimiter = Разделитель полей вместо автоопределения: «,», «;», tab или другой один символ, например «|»
help-import-won_stages = Ещё одно название этапа «успешно реализовано» (если этап в аккаунте переименован); можно повторять
help-import-lost_stages = Ещё одно название этапа «закрыто и не реализовано»; можно повторять
help-run = Выполнить сохранённый отчёт по имени или пути к .sql-файлу
help-run-report = Имя отчёта (см. crmsql reports) или путь к .sql-файлу
help-run-output = Записать результат в файл вместо стандартного вывода
help-run-period = Период отчёта: last_month, this_quarter, last_30_days, 2025-07, 2025-07-01..2025-07-31 и т. п. (параметр period)
help-run-compare = С чем сравнить период: previous — с предыдущим, year — с тем же периодом годом раньше (параметр compare)
help-run-params = Значение параметра отчёта, КЛЮЧ=ЗНАЧЕНИЕ; можно повторять
help-run-explain = Вместо результата показать, как выполнялся отчёт: план со строками и временем каждого шага и сколько файлов, групп строк и страниц пропущено
run-all-done = отчёт { $report }: записан { $path } ({ $rows ->
    [one] { $rows } строка
    [few] { $rows } строки
   *[many] { $rows } строк
})
run-all-failed = отчёт { $report }: ошибка: { $detail }
run-all-not-started = прогон не начался, ни один отчёт не выполнен: { $detail }
run-all-interrupted-at = прогон прерван на отчёте { $report } (Ctrl+C или SIGTERM); этот и следующие отчёты не выполнены: { $detail }
run-all-interrupted = прогон прерван (Ctrl+C или SIGTERM); следующие отчёты не выполнены: { $detail }
run-all-summary = выполнено отчётов: { $done } из { $total }
run-all-some-failed = { $summary }; с ошибкой: { $failed }
run-all-broken = файл отчёта не прочитан: { $detail }
run-all-skipped-param = отчёт { $report } пропущен: нужен параметр { $param }; задайте его: run-all --param { $param }=ЗНАЧЕНИЕ
run-all-skipped-table = отчёт { $report } пропущен: в хранилище нет таблицы { $table }
run-all-summary-skipped = { $summary }; пропущено: { $count } ({ $skipped })
run-all-param-unused = ни один отчёт не принимает параметр «{ $name }»; параметры отчётов — в crmsql reports
help-run-all = Выполнить все отчёты в файлы с датой в имени — для запусков по расписанию
help-run-all-dir = Папка с отчётами; без неё — все доступные отчёты (как в crmsql reports)
help-run-all-output_dir = Папка для файлов результатов и журнала run-all.log
help-run-all-period = Период для отчётов с параметром period
help-run-all-compare = Сравнение для отчётов с параметром compare: previous или year
help-run-all-params = Значение параметра, КЛЮЧ=ЗНАЧЕНИЕ, для отчётов с таким параметром; можно повторять
help-reports = Показать сохранённые отчёты с описаниями
help-demo = Сгенерировать демонстрационную выгрузку сделок amoCRM (CSV) или, с --output-dir, весь демо-аккаунт
help-demo-rows = Число сделок (по умолчанию 9000)
help-demo-seed = Начальное значение генератора: одно и то же значение даёт тот же файл
help-demo-output = Файл для выгрузки вместо стандартного вывода
help-demo-output_dir = Папка, в которую записать весь демо-аккаунт: выгрузку сделок, расходы на рекламу по дням, прочие расходы по месяцам и себестоимость товаров

## Интерактивная оболочка

repl-welcome = crmsql { $version }. Запросы заканчиваются «;», \? — справка, \q — выход.
repl-history-folder-missing = предупреждение: папки для истории { $path } нет, история этого сеанса не сохранится; создайте папку или укажите другой --history-file
repl-cancelled = запрос отменён
repl-demo-mark = {" "}(демо-данные)
repl-column-from-label = столбец выгрузки «{ $label }»
repl-unknown-command = неизвестная команда { $command }; возможно, вы имели в виду: { $near }
repl-save-name = «{ $name }» не годится в имя отчёта: нужны латинские буквы, цифры, _ или -, например \save sales_by_city
repl-save-nothing = сохранять нечего: сначала выполните запрос, затем \save ИМЯ
repl-save-cancelled = Отчёт не сохранён
repl-save-replace = Файл { $path } уже есть. Заменить? (да/нет):{" "}
repl-save-description = Описание отчёта:{" "}
repl-save-no-description = отчёт не сохранён: нужно описание — по нему видно, что показывает отчёт
repl-saved = Отчёт { $name } сохранён в { $path }; запуск: { $command }
repl-save-failed = сохранять нечего: последний запрос завершился ошибкой; исправьте его, выполните и снова наберите \save ИМЯ
repl-save-builtin = { $name } — встроенный отчёт; сохранённый отчёт займёт его место в crmsql run { $name }. Сохранить? (да/нет):{" "}
repl-save-shell-only = \save работает в интерактивной оболочке: запустите crmsql, выполните запрос и наберите \save ИМЯ
repl-help = Команды:
    \d                        список таблиц
    \d ТАБЛИЦА                столбцы таблицы с типами и описаниями
    \df [ШАБЛОН]              функции crmsql с описаниями; с шаблоном — и встроенные функции
    \reports                  сохранённые отчёты
    \run ОТЧЁТ [К=З]          выполнить отчёт с параметрами, например \run sales_overview period=2025-09
    \save ИМЯ                 сохранить последний запрос как отчёт ИМЯ
    \i ФАЙЛ                   выполнить файл: запросы и команды
    \o [ФАЙЛ]                 выводить результаты в файл; без имени — снова на экран
    \format ФОРМАТ            формат вывода: table, csv, json или markdown
    \timing [on|off]          показывать время выполнения запросов
    \x [on|off]               каждая запись — отдельным блоком, столбец на строку
    \pager auto|on|off        листать длинные результаты: когда не помещаются, всегда или никогда
    \last                     последний результат целиком, без сокращений
    \chart [bar|line] [X Y]   график последнего результата: столбцы или линия; X — подписи, Y — числа
    \history                  история запросов
    \?                        эта справка
    \q                        выход (или Ctrl-D)
    SQL-запрос может занимать несколько строк и заканчивается «;». Ctrl-C отменяет выполняемый запрос.
chart-empty = Нет данных: за этот период в результате нет строк
chart-no-rows = рисовать нечего: в результате нет строк
chart-no-numbers = рисовать нечего: в результате нет числового столбца
chart-unknown-column = столбца «{ $name }» в результате нет
chart-not-numbers = в столбце «{ $name }» не числа: значения графика берутся из числового столбца
repl-chart-usage = укажите \chart [bar|line] [СТОЛБЕЦ_ПОДПИСЕЙ СТОЛБЕЦ_ЧИСЕЛ], например \chart bar manager revenue
repl-startup-failed = { $path }, строка { $line }: { $detail }
repl-run-value = после { $option } нужно значение, например \run sales_overview --period 2025-09
repl-output-binary = в { $path } поток результатов не записать: файл Excel или Parquet хранит один результат; выполните запрос с crmsql -c "…" -o { $path }
repl-time = Время: { $seconds } с
repl-history-shell-only = \history работает в интерактивной оболочке
repl-include-usage = укажите файл: \i ФАЙЛ.sql
repl-include-too-deep = \i { $path } не выполнен: уже { $depth } файлов выполняются один внутри другого; не включает ли файл сам себя?
repl-include-loop = \i { $path } не выполнен: этот файл уже выполняется и включал бы сам себя без конца
repl-output-screen = Результаты снова выводятся на экран
repl-output-file = Результаты записываются в { $path }; \o без имени возвращает их на экран
repl-format-unknown = неизвестный формат «{ $value }»: выберите table, csv, json или markdown
repl-format-set = Формат вывода: { $format }
repl-pager-set = Листание результатов { $mode ->
    [on] включено
    [off] выключено
   *[other] включается само, когда результат не помещается на экран
}
repl-pager-value = «{ $value }» не годится: укажите auto, on или off
repl-timing-on = Время выполнения показывается
repl-timing-off = Время выполнения не показывается
repl-expanded-on = Записи выводятся блоками, столбец на строку
repl-expanded-off = Записи выводятся строками таблицы
repl-last-nothing = результата ещё нет: сначала выполните запрос
repl-switch-value = «{ $value }» не годится: укажите on или off, или ничего, чтобы переключить
functions-crm-heading = Функции crmsql:
functions-builtin-hint = Встроенные функции DataFusion ищет \df ШАБЛОН, например \df date или \df *_trunc
functions-builtin-heading = Встроенные функции DataFusion по шаблону «{ $pattern }» (описания — в документации DataFusion):
functions-none = нет функций по шаблону «{ $pattern }»
function-avg_check = агрегатная: средний чек, сумма / количество
function-roi = ROI по выручке: (выручка − расход) / расход × 100, %
function-roi_profit = ROI по прибыли: (выручка − себестоимость − расход) / расход × 100, %
function-romi = ROMI по марже товара: (выручка × маржа % / 100 − расход) / расход × 100, %
function-roas = ROAS: выручка / расход × 100, %
function-drr = ДРР: доля выручки, потраченная на рекламу, расход / выручка × 100, %
function-cpl = цена заявки: расход / число заявок
function-cac = цена клиента: расход / число клиентов
function-margin = маржа: (выручка − себестоимость) / выручка × 100, %
function-conversion = конверсия: часть / целое × 100, %
function-growth = изменение к прошлому значению: (текущее − прошлое) / |прошлое| × 100, %
function-segment_bucket = сегмент по границам: номер интервала или его название из labels
function-quantile_bucket = оконная: номер группы из n равных по числу значений (1 — наименьшие)
function-rfm_score = оконная: RFM-код из трёх цифр 1–5 по давности, частоте и сумме покупок
function-rfm_segment = название RFM-сегмента по коду: Чемпионы, Лояльные, Спящие…
function-ltv = ожидаемая ценность клиента: средний чек × покупок за период × число периодов [× маржа %]
function-ltv_observed = агрегатная: сколько клиент уже заплатил, сумма его покупок
function-period_start = начало периода (today, last_month, 2025-Q3, 2025-07-01..2025-07-31…) или периода сравнения
function-period_end = первый момент после периода
function-in_period = попадает ли время или дата в период [начало, конец)
sql-with-command = -c и -f нельзя сочетать с командой (import, run, reports, demo)
import-not-csv-zip = { $path } — файл Excel или другой офисный документ (ZIP), а не CSV
    подсказка: выгрузите сделки из amoCRM в формате CSV или сохраните файл в Excel как «CSV UTF-8»
import-not-csv-xls = { $path } — файл старого формата Excel (.xls), а не CSV
    подсказка: сохраните его в Excel как «CSV UTF-8» и загрузите снова
import-not-csv-binary = { $path } — не текстовый файл: в нём есть нулевые байты
    подсказка: загружаются выгрузки amoCRM в CSV или Excel (.xlsx) и JSON из API; если это архив, сначала распакуйте его
import-no-rows = в { $path } только строка заголовков, нет ни одной сделки; хранилище не изменено
    подсказка: проверьте фильтр списка сделок в amoCRM перед экспортом
import-unterminated-quote = { $path }, строка { $line }: кавычка в записи не закрыта до конца файла, поэтому { $lines ->
    [one] { $lines } строка прочитана
    [few] { $lines } строки прочитаны
   *[many] { $lines } строк прочитано
} как одна запись; хранилище не изменено
    подсказка: закройте или удалите кавычку в строке { $line } и загрузите файл снова
warehouse-not-found = хранилище { $path } не найдено
    подсказка: проверьте путь в --warehouse или CRMSQL_WAREHOUSE; новое хранилище создаёт crmsql import ФАЙЛ.csv --warehouse { $path }
warehouse-empty = в хранилище { $path } нет таблиц; загрузите выгрузку: crmsql import ФАЙЛ.csv --warehouse { $path }
import-not-found = файл или папка { $path } не найдены
reject-line-break = перенос строки в однострочном столбце: вероятно, лишняя кавычка склеила { $lines ->
    [one] { $lines } строку
    [few] { $lines } строки
   *[many] { $lines } строк
} файла в одну запись; уберите лишнюю кавычку и загрузите файл снова

reject-invalid-number = не число; ожидается, например, 3.75 или 1 234,5
reject-invalid-boolean = не «да» или «нет»; ожидается да/нет, yes/no, true/false или 1/0
reject-invalid-month = не месяц; ожидается, например, 2024-03, 03.2024 или «март 2024»
reject-missing-value = пустая ячейка в столбце «{ $column }», без которого строка не имеет смысла; заполните её
reject-negative-value = отрицательное значение в столбце «{ $column }»: расход, клики и показы не бывают меньше нуля
reject-percent-out-of-range = доля себестоимости должна быть от 0 до 100 процентов
import-strict-rejected = импорт отменён: задан --strict, а в таблице { $table } { $rejected ->
        [one] отклонена { $rejected } строка
        [few] отклонены { $rejected } строки
       *[many] отклонены { $rejected } строк
    }; первая: { $file }, строка { $line }{ $cell }: { $reason }
    хранилище не изменено; исправьте файл или запустите без --strict, чтобы отклонённые строки попали в файл отклонённых строк
import-duplicate-column = в { $path } два столбца получают имя «{ $name }»: «{ $first }» и «{ $second }»; дайте одному из них другое имя, например --column "{ $second }=имя"
import-key-added = в таблице { $table } нет ключа, и каждый файл добавляет строки, а эта загрузка задаёт ключ ({ $new }); чтобы таблица сопоставляла строки по ключу, загрузите все её файлы заново с --replace
import-key-dropped = таблица { $table } хранит строки по ключу ({ $old }), а эта загрузка задаёт таблицу без ключа; укажите --key { $old } или загрузите все файлы таблицы заново с --replace
import-key-changed = таблица { $table } хранит строки по ключу ({ $old }), а эта загрузка задаёт ключ ({ $new }); чтобы сменить ключ, загрузите все файлы таблицы заново с --replace
import-timezone-changed = даты таблицы { $table } записаны в часовом поясе { $old }, а --timezone задаёт { $new }; уберите --timezone или, чтобы сменить пояс, загрузите все файлы таблицы заново с --replace
import-demo-removed = Демо-данные удалены из хранилища ({ $tables }): теперь в нём только ваши выгрузки.
table-unreadable = таблица { $table } не подключена, остальные работают: { $detail }
    подсказка: загрузите файлы этой таблицы заново с --replace
import-no-api-records = в { $path } нет записей тех сущностей API amoCRM, которые загружает crmsql: leads, contacts, companies, pipelines, users, loss_reasons, customers, transactions, catalogs, catalog_elements, events, custom_fields
    подсказка: список сущностей и форматов файлов — в docs/import.ru.md
import-no-table-rows = в { $path } только строка заголовков, строк данных нет; хранилище не изменено
import-standard-key-missing = в { $path } нет столбца «{ $column }», по которому таблица { $table } сопоставляет строки (столбцы: { $columns }); хранилище не изменено
    подсказка: назовите заголовки, как описано в docs/import.ru.md, или загрузите файл в другую таблицу через --table
import-invalid-table = имя таблицы «{ $value }» не годится: в нём нет ни букв, ни цифр
    подсказка: задайте имя вроде --table purchases
import-sheet-unused = --sheet не применён: среди загруженных файлов нет таблиц Excel
import-key-deals = --key не применён к таблице deals: сделки всегда сопоставляются по ID
import-column-unused = --column не применён: он задаёт столбцы своих таблиц (--table ИМЯ, расходы на рекламу, прочие расходы), а у выгрузок и JSON из API столбцы постоянные
import-mapping-label-missing = в { $path } нет столбца «{ $label }», указанного в --column (заголовки: { $header })
warehouse-missing-snapshot = { $path } указывает на снимок «{ $name }», которого нет в папке snapshots
    подсказка: запишите в { $path } имя последнего снимка, { $newest }, чтобы открыть хранилище в состоянии после последнего импорта
warehouse-no-snapshots = { $path } указывает на снимок «{ $name }», которого нет, и в папке snapshots нет ни одного снимка
    подсказка: удалите { $path } и загрузите выгрузки заново
warehouse-not-a-folder = { $path } — файл, а хранилище должно быть папкой
    подсказка: укажите другую папку через --warehouse или переменную CRMSQL_WAREHOUSE
warehouse-current-missing = файла { $path } нет или он пуст, а в папке snapshots есть снимки хранилища; без него хранилище не открыть, а импорт потерял бы таблицы
    подсказка: запишите в { $path } имя последнего снимка, { $newest }, чтобы открыть хранилище в состоянии после последнего импорта
warehouse-newer-format = снимок хранилища { $path } записан более новой версией crmsql (формат { $version }); обновите crmsql
import-merged = { $table }: { $added ->
    [one] { $added } новая строка
    [few] { $added } новые строки
   *[many] { $added } новых строк
}, заменили прежние копии: { $updated }, пропущены как устаревшие: { $superseded }; всего в таблице { $rows ->
    [one] { $rows } строка
    [few] { $rows } строки
   *[many] { $rows } строк
}
import-already = { $path } уже импортирован в таблицу { $table } и пропущен; чтобы загрузить таблицу заново, добавьте --replace
import-waiting = хранилище { $path } занято другим импортом; жду, пока он закончится…
import-invalid-mapping = не понимаю --column «{ $value }»: нужно ЗАГОЛОВОК=ИМЯ:ТИП, например «Сумма=amount:money»; типы: int, money, float, bool, date, month, timestamp, text, list
dry-run-file = { $path } → таблица { $table }: формат { $format }, кодировка { $encoding }, разделитель «{ $delimiter }», { $rows ->
    [one] { $rows } строка данных
    [few] { $rows } строки данных
   *[many] { $rows } строк данных
}
dry-run-column =   «{ $label }» → { $name } { $type }
dry-run-file-json = { $path } → JSON из API, таблицы: { $table }; { $rows ->
    [one] { $rows } запись
    [few] { $rows } записи
   *[many] { $rows } записей
}
dry-run-column-combined =   из нескольких столбцов → { $name } { $type }
dry-run-unknown =   не распознаны, сохранятся под своими именами: { $labels }
dry-run-nothing-written = Пробный запуск: в хранилище ничего не записано.
help-import-table = Таблица, в которую загрузить файлы (CSV, TSV или текст, выровненный пробелами), например purchases; ad_spend и expenses получают стандартные столбцы
help-import-columns = Имя и тип столбца: ЗАГОЛОВОК=ИМЯ:ТИП (типы: int, money, float, bool, date, month, timestamp, text, list); можно повторять
help-import-key = Столбцы-ключ таблицы через запятую: строка с тем же ключом при повторном импорте заменяет прежнюю
help-import-dry_run = Показать, что будет загружено (формат, кодировку, разделитель, столбцы, число строк), ничего не записывая
help-import-strict = Считать ошибкой любую отклонённую строку: импорт отменяется, хранилище не меняется
help-import-replace = Заменить таблицу целиком вместо слияния с прежними данными
delimiter-whitespace = пробелы
delimiter-tab = табуляция
reject-invalid-entity-type = в столбце «Тип» ожидается «контакт» или «компания»
import-invalid-json = { $path }: не JSON и не JSON Lines, ошибка в строке { $line }, позиции { $column }: { $detail }
json-eof = текст обрывается посреди значения: возможно, файл сохранён не полностью
json-syntax = лишний или пропущенный знак (запятая, кавычка, скобка)
json-data = значение, которое JSON не допускает
    подсказка: сохраните ответ API целиком (страница с _embedded) или по одному объекту JSON в строке
reject-invalid-json = строка не читается как JSON: { $detail }
reject-unknown-entity = не удалось понять, что это за сущность API: нет списка в _embedded и нет полей, по которым её узнать
import-source-json = { $path }: JSON, в { $table } { $rows ->
    [one] { $rows } строка
    [few] { $rows } строки
   *[many] { $rows } строк
}{ $rejected ->
    [0] {""}
   *[other] , отклонено: { $rejected }
}
import-spreadsheet = не удалось прочитать таблицу Excel { $path }: { $detail }
    подсказка: откройте файл в Excel и сохраните его заново как .xlsx или как «CSV UTF-8»
import-sheet-not-found = в { $path } нет листа «{ $sheet }»; листы: { $available }
help-import-sheet = Лист книги Excel, который загрузить (по умолчанию первый)
import-source-sheet = { $path }: лист «{ $sheet }», { $rows ->
    [one] { $rows } строка
    [few] { $rows } строки
   *[many] { $rows } строк
}{ $rejected ->
    [0] {""}
   *[other] , отклонено: { $rejected }
}
dry-run-file-sheet = { $path } → таблица { $table }: Excel, лист «{ $sheet }», { $rows ->
    [one] { $rows } строка данных
    [few] { $rows } строки данных
   *[many] { $rows } строк данных
}
help-demo-delimiter = Разделитель полей: «,» (по умолчанию, как у amoCRM), «;» или tab
help-demo-kopecks = Бюджеты с копейками через запятую (42000,50), как в файлах, пересохранённых в Excel
query-progress = выполняется: { $rows ->
    [one] прочитана { $shown } строка
    [few] прочитаны { $shown } строки
   *[many] прочитано { $shown } строк
}, { $megabytes } МБ, { $seconds } с; Ctrl-C — отменить
import-progress = импорт: { $done } из { $total } МБ ({ $percent } %), { $rows ->
    [one] { $rows } строка
    [few] { $rows } строки
   *[many] { $rows } строк
}, { $rate } МБ/с
import-key-column-missing = ключевого столбца «{ $column }» из --key нет в { $path } (столбцы: { $columns }); хранилище не изменено

column-ad_spend-date = день расхода
column-ad_spend-channel = рекламный канал; сравнивается с utm_source сделок без учёта регистра
column-ad_spend-campaign = рекламная кампания
column-ad_spend-spend = расход за день
column-ad_spend-clicks = клики
column-ad_spend-impressions = показы
column-expenses-month = месяц расхода, первое число
column-expenses-category = статья расходов: зарплаты, аренда, программы…
column-expenses-amount = сумма за месяц
column-product_costs-product = товар; сравнивается с полем «Товар» сделок без учёта регистра
column-product_costs-cost_pct = себестоимость в процентах цены
column-purchases-customer_id = покупатель
column-purchases-date = день покупки
column-purchases-quantity = число единиц в покупке
column-purchases-amount = сумма покупки

help-arg-cluster = Выполнять запросы на кластере Apache DataFusion Ballista: адрес планировщика df://ХОСТ:ПОРТ. Действует для -c, -f, оболочки, run и run-all; также переменная CRMSQL_CLUSTER
help-scheduler = Запустить планировщик кластера Ballista с функциями crmsql
help-usage-scheduler = crmsql scheduler [--bind ХОСТ] [--port ПОРТ] [--external-host ХОСТ]
help-scheduler-bind = Адрес, на котором слушать (по умолчанию 127.0.0.1 — только эта машина); 0.0.0.0 открывает порт всей сети
help-scheduler-port = Порт для клиентов и исполнителей (по умолчанию 50050)
help-scheduler-external_host = Имя или адрес, по которому планировщик видят другие машины, если он не совпадает с --bind
help-executor = Запустить исполнитель кластера Ballista с функциями crmsql; --memory-limit задаёт память, которую делят все его задачи
help-usage-executor = crmsql executor [--scheduler df://ХОСТ:ПОРТ] [ПАРАМЕТРЫ]
help-executor-scheduler = Адрес планировщика (по умолчанию df://127.0.0.1:50050)
help-executor-bind = Адрес, на котором слушать (по умолчанию 127.0.0.1 — только эта машина); 0.0.0.0 открывает порты всей сети
help-executor-port = Порт, с которого клиенты и другие исполнители забирают результаты (Arrow Flight; по умолчанию 50051)
help-executor-grpc_port = Порт, на который планировщик присылает задачи (по умолчанию 50052)
help-executor-external_host = Имя или адрес, по которому исполнителя видят планировщик и клиенты, если он не совпадает с --bind
help-executor-concurrency = Сколько задач выполнять одновременно (по умолчанию 0 — по числу ядер)
help-executor-work_dir = Папка для промежуточных данных и сброса на диск (по умолчанию временная)
value-url = АДРЕС
value-host = ХОСТ
value-port = ПОРТ
cluster-invalid = «{ $value }» не годится для --cluster: { $reason }; нужен адрес планировщика вида df://ХОСТ:ПОРТ, например df://127.0.0.1:50050
cluster-invalid-env = «{ $value }» в переменной CRMSQL_CLUSTER не годится для --cluster: { $reason }; нужен адрес планировщика вида df://ХОСТ:ПОРТ; исправьте переменную или уберите её
cluster-url-scheme = адрес начинается не с df://
cluster-url-host = в адресе нет имени или IP-адреса планировщика
cluster-url-port = порт «{ $port }» — не число от 1 до 65535
cluster-url-user = в адресе указан пользователь, а у Ballista нет входа по имени и паролю: оставьте только хост и порт
cluster-url-path = после хоста и порта в адресе не может быть пути или параметров
cluster-url-quoted = адрес записан в кавычках: в файле настроек значения пишутся без кавычек, например --cluster=df://10.0.0.5:50050
scheduler-invalid = «{ $value }» не годится для --scheduler: { $reason }; нужен адрес вида df://ХОСТ:ПОРТ, например df://127.0.0.1:50050
cluster-bind = не удаётся слушать { $address }: { $detail }
    подсказка: порт занят другой программой (возможно, уже запущенным планировщиком или исполнителем) или адрес не принадлежит этой машине; выберите другой порт или адрес
cluster-address = «{ $host }» не годится для --bind: нужен IP-адрес или имя этой машины, например 127.0.0.1 или 0.0.0.0
cluster-server-failed = { $role } остановился с ошибкой: { $detail }
cluster-role-scheduler = планировщик
cluster-role-executor = исполнитель
scheduler-started = Планировщик crmsql слушает { $address }. Клиенты подключаются так: crmsql --cluster { $url }. Готовность: http://{ $readiness }/readyz. Остановить — Ctrl+C.
scheduler-stopped = Планировщик остановлен.
executor-started = Исполнитель crmsql: задачи на { $grpc }, результаты на { $flight }, планировщик { $scheduler }. Остановить — Ctrl+C.
executor-stopped = Исполнитель остановлен.
executor-external-host = Планировщик и клиенты обращаются к исполнителю по имени { $host }.
cluster-open-port = { $address } доступен из сети. У Ballista нет входа по паролю: любой, кто дойдёт до этого порта, сможет выполнять запросы по хранилищу и читать файлы, доступные этому процессу. Держите кластер в закрытой сети или закройте порт брандмауэром.
cluster-unreachable = планировщик { $url } не отвечает: { $detail }
    подсказка: запущен ли crmsql scheduler на этом адресе и виден ли порт с этой машины? С пустым --cluster= запрос выполнится на этой машине
cluster-origin-env = подсказка: адрес кластера задан переменной CRMSQL_CLUSTER
cluster-origin-file = подсказка: адрес кластера задан в файле настроек { $path }, строка { $line }
warehouse-origin-env = подсказка: путь к хранилищу задан переменной CRMSQL_WAREHOUSE
warehouse-origin-file = подсказка: путь к хранилищу задан в файле настроек { $path }, строка { $line }
cluster-missing-function = кластер не смог выполнить запрос: функцию { $function } не знает планировщик или исполнитель
    подсказка: узлы кластера нужно запускать командами crmsql scheduler и crmsql executor той же версии, что и клиент; стандартные программы Ballista функций crmsql не знают
cluster-task-rejected = кластер не смог выполнить запрос: исполнитель отклонил задачу
    подсказка: чаще всего исполнитель запущен не командой crmsql executor той же версии, что и клиент, и не знает функций crmsql; подробности — в журнале исполнителя
cluster-task-rejected-functions = кластер не смог выполнить запрос: исполнитель отклонил задачу с функциями crmsql ({ $functions })
    подсказка: чаще всего исполнитель запущен не командой crmsql executor той же версии, что и клиент, и не знает этих функций; подробности — в журнале исполнителя
cluster-file-unreadable = узел кластера не может прочитать файл хранилища { $path }: { $detail }
    подсказка: планировщик и каждый исполнитель должны видеть хранилище по тому же пути, что и клиент (общая папка, смонтированная на всех машинах одинаково)
cluster-file-missing = узел не нашёл файла по этому пути
cluster-job-failed = кластер не смог выполнить запрос: { $detail }
cluster-refused = соединение отклонено: на этом порту никто не слушает
cluster-timed-out = время ожидания истекло
cluster-unknown-host = такое имя хоста не найдено
cluster-session-table = на кластере можно читать только таблицы хранилища: таблица, созданная в этой сессии (CREATE TABLE … AS, CREATE TABLE … VALUES), и табличная функция вроде generate_series есть только в этом процессе
    подсказка: выполните запрос без --cluster или перепишите его через WITH (…) вместо отдельной таблицы; ряд чисел вместо generate_series(1, N) даёт unnest(range(1, N + 1))
cluster-no-executors = у планировщика { $url } нет ни одного исполнителя, и запрос ждал бы его
    подсказка: запустите исполнителя: crmsql executor --scheduler { $url }
cluster-not-scheduler = по адресу { $url } отвечает не планировщик crmsql, а другой сервер: «{ $answer }»
    подсказка: укажите порт, который планировщик назвал при запуске (по умолчанию 50050)
cluster-not-scheduler-silent = по адресу { $url } отвечает не планировщик crmsql: сервер не ответил на запрос страницы готовности /readyz
    подсказка: укажите порт, который планировщик назвал при запуске (по умолчанию 50050); порты 50051 и 50052 принадлежат исполнителю
cluster-lost = связь с планировщиком { $url } прервалась во время запроса: планировщик остановился, или пропала сеть
    подсказка: проверьте, что планировщик работает, и повторите запрос
cluster-executor-lost = кластер остановил задание: пропал исполнитель, которому досталась часть запроса (или задание отменили с другой машины), а пересчитать его часть точно Ballista не умеет
    подсказка: повторите запрос — его выполнят оставшиеся исполнители
cluster-explain-union = на кластере план с замерами (EXPLAIN ANALYZE, run --explain) не строится для запросов с UNION и UNION ALL: исполнители не передают замеры этапов с объединением
    подсказка: посмотрите план с замерами без --cluster или обычный EXPLAIN
cluster-divide-by-zero = деление на ноль (на исполнителе кластера)
    подсказка: функции crmsql (conversion, margin, roi…) при нулевом знаменателе дают NULL; или делите на nullif(x, 0)
cluster-cast = значение не приводится к нужному типу (на исполнителе кластера)
    подсказка: проверьте значение или пишите try_cast(x AS INT): он даёт NULL вместо ошибки; дата пишется как '2025-07-01', число — без пробелов
    подробности от DataFusion: { $detail }
cluster-memory = исполнителю кластера не хватило памяти: предел его --memory-limit — { $limit }
    подсказка: запустите исполнителей с большим --memory-limit или сузьте запрос (период, фильтр)
cluster-memory-unknown = исполнителю кластера не хватило памяти
    подсказка: запустите исполнителей с большим --memory-limit или сузьте запрос (период, фильтр)
cluster-information-schema = на кластере information_schema нельзя соединять с таблицами хранилища
    подсказка: запросите information_schema отдельно или выполните запрос без --cluster
cluster-cancelled = запрос отменён, и планировщик остановил его задание { $job }
cluster-cancel-failed = запрос отменён, но планировщик { $url } не принял отмену задания { $job }: { $detail }
    подсказка: задание может ещё выполняться на исполнителях; оно закончится само или остановится вместе с планировщиком
scheduler-executor-joined = Подключился исполнитель { $executor }, задачи на { $address }.
scheduler-executor-left = Исполнитель { $executor } ({ $address }) отключён: он остановился или не отвечает.
scheduler-job-cancelled = исполнитель { $executor } пропал во время задания { $job }; задание отменено, и его клиенту предложено повторить запрос
scheduler-job-cancel-failed = исполнитель { $executor } пропал во время задания { $job }, а отменить задание не удалось: { $detail }
executor-work-dir-taken = папкой { $path } уже пользуется другой исполнитель: два исполнителя в одной папке удаляли бы данные друг друга
    подсказка: дайте этому исполнителю свою папку --work-dir
executor-unreachable = планировщик не смог подключиться к исполнителю по адресу { $address }: { $detail }
    подсказка: в --external-host укажите имя или адрес этой машины, по которому до неё доходит планировщик; без --external-host планировщик берёт адрес, с которого подключился исполнитель
executor-ipv6 = «{ $value }» не годится для { $option } исполнителя: исполнитель Ballista 55 не работает с адресами IPv6
    подсказка: укажите адрес IPv4 (например, 127.0.0.1 или 10.0.0.5) или имя машины, которое разрешается в IPv4
executor-waiting = Исполнитель ждёт планировщик { $scheduler }: он пока не принимает соединений. Исполнитель подключится, как только планировщик запустится.
executor-unknown-host = Исполнитель ждёт планировщик { $scheduler }: имя «{ $host }» не удаётся разрешить (DNS не знает его). Проверьте --scheduler; исполнитель подключится, когда имя станет известно и планировщик запустится.
executor-scheduler-lost = Исполнитель потерял связь с планировщиком { $scheduler } и подключится снова, когда планировщик вернётся.
executor-reconnected = Исполнитель снова подключается к планировщику { $scheduler }.
cluster-external-host = «{ $value }» не годится для --external-host: нужно имя или IP-адрес этой машины, по которому к ней обращаются другие машины, без df:// и порта, например 10.0.0.5
executor-not-scheduler = по адресу { $scheduler } отвечает не планировщик crmsql: { $answer }
    подсказка: в --scheduler укажите адрес, который планировщик назвал при запуске (по умолчанию порт 50050)
executor-no-answer = сервер не ответил на запрос страницы готовности /readyz
node-option-unused = { $option } не действует для crmsql { $command }: узел кластера не выполняет запросов сам
    подсказка: список параметров — crmsql { $command } --help
node-option-unused-cluster = { $option } не действует для crmsql { $command }: узел кластера не выполняет запросов сам
    подсказка: исполнителю адрес планировщика задаёт --scheduler; список параметров — crmsql { $command } --help
executor-same-ports = у --port и --grpc-port один и тот же порт { $port }: исполнителю нужны два разных порта
